// tlog_tiles prints what golang.org/x/mod/sumdb (the code the go command's checksum
// database client is built from) computes for a log's records, so that modgate's e2e tests
// (private_sumdb.rs) can compare it with what modgate serves. It is built in GOPATH mode
// against Debian's golang-golang-x-mod-dev, offline.
//
// Usage: tlog_tiles VERIFIER_KEY LATEST_FILE RECORDS_FILE SIZE...
//
// LATEST_FILE is a signed tree head, opened with VERIFIER_KEY; RECORDS_FILE a JSON array of
// record texts in log order. For each SIZE, the hash of the tree of the first SIZE records
// and every tile of that tree (tlog.NewTiles) are printed, as JSON on stdout.
package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// tileHeight is the go command's: tiles of 2^8 hashes.
const tileHeight = 8

type tree struct {
	N    int64  `json:"n"`
	Hash string `json:"hash"`
	// Tile path → the tile's data, in hex.
	Tiles map[string]string `json:"tiles,omitempty"`
}

type output struct {
	// The tree the signed head names.
	Signed tree `json:"signed"`
	// One per SIZE.
	Trees []tree `json:"trees"`
}

// hashes are a log's stored hashes, in tlog's order.
type hashes []tlog.Hash

func (h hashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, index := range indexes {
		if index < 0 || index >= int64(len(h)) {
			return nil, fmt.Errorf("no stored hash %d (have %d)", index, len(h))
		}
		out[i] = h[index]
	}
	return out, nil
}

func main() {
	if len(os.Args) < 5 {
		fail(fmt.Errorf("usage: tlog_tiles VERIFIER_KEY LATEST_FILE RECORDS_FILE SIZE..."))
	}
	verifier, err := note.NewVerifier(os.Args[1])
	check("verifier key", err)
	latest, err := os.ReadFile(os.Args[2])
	check("reading the signed head", err)
	opened, err := note.Open(latest, note.VerifierList(verifier))
	check("opening the signed head", err)
	signed, err := tlog.ParseTree([]byte(opened.Text))
	check("parsing the signed head", err)

	data, err := os.ReadFile(os.Args[3])
	check("reading the records", err)
	var records []string
	check("parsing the records", json.Unmarshal(data, &records))
	var stored hashes
	for i, text := range records {
		more, err := tlog.StoredHashes(int64(i), []byte(text), stored)
		check(fmt.Sprintf("hashing record %d", i), err)
		stored = append(stored, more...)
	}

	out := output{Signed: tree{N: signed.N, Hash: signed.Hash.String()}}
	for _, arg := range os.Args[4:] {
		size, err := strconv.ParseInt(arg, 10, 64)
		check("SIZE", err)
		if size > int64(len(records)) {
			fail(fmt.Errorf("size %d: only %d records", size, len(records)))
		}
		hash, err := tlog.TreeHash(size, stored)
		check(fmt.Sprintf("tree hash of %d", size), err)
		t := tree{N: size, Hash: hash.String(), Tiles: map[string]string{}}
		for _, tile := range tlog.NewTiles(tileHeight, 0, size) {
			data, err := tlog.ReadTileData(tile, stored)
			check(tile.Path(), err)
			t.Tiles[tile.Path()] = hex.EncodeToString(data)
		}
		out.Trees = append(out.Trees, t)
	}
	check("writing", json.NewEncoder(os.Stdout).Encode(out))
}

func check(what string, err error) {
	if err != nil {
		fail(fmt.Errorf("%s: %v", what, err))
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "tlog_tiles:", err)
	os.Exit(1)
}
