// Ported from Go's encoding/base64 (encoding/base64/base64.go). Copyright 2009 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! Go's `base64.StdEncoding.DecodeString`, which x/mod reads keys, signatures and tree hashes
//! with, so that [`note`](crate::note) and [`tlog`](crate::tlog) accept exactly what Go accepts.
//!
//! Go's decoder is laxer than the `base64` crate's standard engine in two ways: it skips `\r`
//! and `\n` anywhere in the input, and it ignores non-zero bits left over in the last character
//! (`QR==` decodes like `QQ==`). It is as strict about padding: `=` must be there, and nothing
//! may follow it.

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

const GO_STD: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

/// The bytes `s` encodes, or `None` where Go's decoder reports an error.
pub(crate) fn decode(s: &[u8]) -> Option<Vec<u8>> {
    if s.contains(&b'\r') || s.contains(&b'\n') {
        let kept: Vec<u8> = s
            .iter()
            .copied()
            .filter(|&b| b != b'\r' && b != b'\n')
            .collect();
        return GO_STD.decode(kept).ok();
    }
    GO_STD.decode(s).ok()
}

/// Standard base64 with padding, as Go's `base64.StdEncoding.EncodeToString`.
pub(crate) fn encode(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (input, what Go 1.19's `base64.StdEncoding.DecodeString` returns, `None` for an error).
    const CASES: &[(&str, Option<&[u8]>)] = &[
        ("", Some(b"")),
        ("QQ==", Some(b"A")),
        ("QQ=", None),
        ("QQ", None),
        // Leftover bits are ignored.
        ("QR==", Some(b"A")),
        ("QUI=", Some(b"AB")),
        ("QUJ=", Some(b"AB")),
        ("QUJD", Some(b"ABC")),
        // Line breaks are skipped, even inside the padding.
        ("Q\nQ\r==", Some(b"A")),
        ("QQ==\n", Some(b"A")),
        ("QQ=\n=", Some(b"A")),
        ("QQ==QQ==", None),
        ("=", None),
        ("====", None),
        ("Q===", None),
        ("QUJD=", None),
        (" QQ==", None),
        ("QQ== ", None),
        ("-_==", None),
        ("QQ==\x00", None),
    ];

    #[test]
    fn decode_like_go() {
        for &(input, want) in CASES {
            assert_eq!(decode(input.as_bytes()).as_deref(), want, "{input:?}");
        }
    }
}
