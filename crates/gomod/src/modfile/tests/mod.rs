// Ported from golang.org/x/mod (modfile/read_test.go, modfile/rule_test.go). Copyright 2018 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! `ModFile`'s tests, by concern: the parse tables checked against x/mod, retraction
//! lookups, the other directives, and the syntax layer (comments, fuzzing).

mod directives;
mod retract;
mod syntax;
mod tables;
