//go:build !plain

package main

import "golang.org/x/crypto/bcrypt"

// passwordMatches checks against a bcrypt hash (golang.org/x/crypto, Debian's
// golang-golang-x-crypto-dev, built in GOPATH mode).
func passwordMatches(hash, password string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

const scheme = "bcrypt"
