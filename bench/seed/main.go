// The seed's design, as the benchmark's reference: http.FileServer over a cache/download tree,
// behind a Basic-auth check against an htpasswd file. A verified user:password pair is
// remembered (as a SHA-256 digest), so bcrypt runs once per credential, not once per request.
package main

import (
	"bufio"
	"crypto/sha256"
	"flag"
	"log"
	"net/http"
	"os"
	"strings"
	"sync"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8081", "address:port")
	store := flag.String("store", "data", "the cache/download tree to serve")
	htpasswd := flag.String("htpasswd", "htpasswd", "user:hash lines")
	cert, key := flag.String("tls-cert", "", "PEM certificate"), flag.String("tls-key", "", "PEM key")
	flag.Parse()
	file, err := os.Open(*htpasswd)
	if err != nil {
		log.Fatal(err)
	}
	users := map[string]string{}
	for lines := bufio.NewScanner(file); lines.Scan(); {
		if user, hash, ok := strings.Cut(lines.Text(), ":"); ok {
			users[user] = hash
		}
	}
	var verified sync.Map
	files := http.FileServer(http.Dir(*store))
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, password, _ := r.BasicAuth()
		digest := sha256.Sum256([]byte(user + ":" + password))
		if _, ok := verified.Load(digest); !ok {
			hash, known := users[user]
			if !known || !passwordMatches(hash, password) {
				w.Header().Set("WWW-Authenticate", `Basic realm="modules"`)
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			verified.Store(digest, true)
		}
		files.ServeHTTP(w, r)
	})
	log.Printf("seed serving %s on %s (%s passwords)", *store, *listen, scheme)
	if *cert != "" {
		log.Fatal(http.ListenAndServeTLS(*listen, *cert, *key, handler))
	}
	log.Fatal(http.ListenAndServe(*listen, handler))
}
