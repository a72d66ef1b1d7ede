// Ported from golang.org/x/mod (sumdb/note/note_test.go). Copyright 2019 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! x/mod `sumdb/note/note_test.go`, test for test under the same names, then vectors from the
//! spec (5.2, 5.6) and our own cases.

use ed25519_dalek::{SigningKey, VerifyingKey};

use super::*;

const PETER_SKEY: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                    then you don't know what your problem is.\n";
const PETER_SIG: &str = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const ENOCH_SIG: &str = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

fn peter() -> Signature {
    signature(
        "PeterNeumann",
        0xc74f20a3,
        "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
    )
}

fn enoch() -> Signature {
    signature(
        "EnochRoot",
        0xaf0cfe78,
        "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=",
    )
}

/// Every proper substring of `key`, and `key` with each byte in turn incremented: the manglings
/// x/mod's TestNewVerifier and TestNewSigner try. The keys are ASCII, so each is a `str`.
fn manglings(key: &str) -> Vec<String> {
    let b = key.as_bytes();
    let mut out = Vec::new();
    for i in 0..=b.len() {
        for j in i + 1..=b.len() {
            if i != 0 || j != b.len() {
                out.push(key[i..j].to_owned());
            }
        }
    }
    for i in 0..b.len() {
        let mut m = b.to_vec();
        m[i] += 1;
        out.push(String::from_utf8(m).unwrap());
    }
    out
}

#[test]
fn new_verifier() {
    let v = Verifier::new(PETER_VKEY).unwrap();
    assert_eq!((v.name(), v.key_hash()), ("PeterNeumann", 0xc74f20a3));

    for bad in manglings(PETER_VKEY) {
        assert!(
            Verifier::new(&bad).is_err(),
            "Verifier::new({bad:?}) succeeded"
        );
    }
    // Wrong length key, with adjusted key hash.
    let err =
        Verifier::new("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==")
            .unwrap_err();
    assert_eq!(err.kind, KeyErrorKind::Malformed);
    // Unknown algorithm, with adjusted key hash.
    let err = Verifier::new("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
        .unwrap_err();
    assert_eq!(err.kind, KeyErrorKind::UnknownAlgorithm);
    assert_eq!(err.to_string(), "unknown verifier algorithm");
}

/// (key, the error x/mod's NewVerifier gives, or `None`, as Go 1.19 with x/mod 0.7.0 answers):
/// which check catches what, in order.
const VERIFIER_KEY_CASES: &[(&str, Option<KeyErrorKind>)] = &[
    // Spec 5.2: the key of sum.golang.org, built into the go command.
    (
        "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8",
        None,
    ),
    // Spec 5.2: the example key of a private database.
    (
        "sumdb.example.test+54c52ccc+AbYHNPVgmI3xDMx6IWV5Bpxfreo7umg1b6ictYLK83c0",
        None,
    ),
    // ParseUint takes upper-case hex.
    (
        "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        None,
    ),
    // A bare name, as in GOSUMDB=sumdb.example.test: "invalid GOSUMDB: malformed verifier id".
    ("sumdb.example.test", Some(KeyErrorKind::Malformed)),
    // ParseUint takes no sign.
    (
        "PeterNeumann+-74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        Some(KeyErrorKind::Malformed),
    ),
    (
        "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        Some(KeyErrorKind::Malformed),
    ),
    (
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        Some(KeyErrorKind::HashMismatch),
    ),
    (
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        Some(KeyErrorKind::Malformed),
    ),
    (
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",
        Some(KeyErrorKind::Malformed),
    ),
    ("PeterNeumann+c74f20a3+", Some(KeyErrorKind::Malformed)),
];

#[test]
fn verifier_keys() {
    for &(key, want) in VERIFIER_KEY_CASES {
        let got = Verifier::new(key).err();
        assert_eq!(got.as_ref().map(|e| e.kind), want, "{key:?}");
        if let Some(err) = got {
            assert_eq!(err.key, key);
        }
    }
    let err = Verifier::new("sumdb.example.test").unwrap_err();
    assert_eq!(err.to_string(), "malformed verifier id");
    let err = Verifier::new("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
        .unwrap_err();
    assert_eq!(err.to_string(), "invalid verifier hash");
}

#[test]
fn new_signer() {
    let s = Signer::new(PETER_SKEY).unwrap();
    assert_eq!((s.name(), s.key_hash()), ("PeterNeumann", 0xc74f20a3));

    for bad in manglings(PETER_SKEY) {
        let err = Signer::new(&bad).unwrap_err();
        // The key is a secret: errors must not carry it.
        assert_eq!(err.key, "", "Signer::new({bad:?})");
    }
    // Debug output never shows the key either.
    assert_eq!(format!("{s:?}"), "Signer(PeterNeumann+c74f20a3)");
}

fn test_signer_and_verifier(name: &str, signer: &Signer, verifier: &Verifier) {
    assert_eq!(signer.name(), name);
    assert_eq!(verifier.name(), name);
    assert_eq!(signer.key_hash(), verifier.key_hash());

    let mut msg = b"hi".to_vec();
    let mut sig = signer.sign(&msg);
    assert!(
        verifier.verify(&msg, &sig),
        "verify failed on signature returned by sign"
    );
    sig[0] += 1;
    assert!(
        !verifier.verify(&msg, &sig),
        "verify succeeded on corrupt signature"
    );
    sig[0] -= 1;
    msg[0] += 1;
    assert!(
        !verifier.verify(&msg, &sig),
        "verify succeeded on corrupt message"
    );
}

#[test]
fn generate_key() {
    // Generate key pairs, make sure they are all self-consistent.
    const NAME: &str = "EnochRoot";
    for seed in [[0; 32], [0xff; 32], std::array::from_fn(|i| i as u8)] {
        let (skey, vkey) = super::generate_key(NAME, &seed).unwrap();
        let signer = Signer::new(&skey).unwrap();
        let verifier = Verifier::new(&vkey).unwrap();
        test_signer_and_verifier(NAME, &signer, &verifier);
    }

    // Go 1.19's x/mod, GenerateKey with a reader of zeros, then of bytes 0, 1, 2, ...
    let (skey, vkey) = super::generate_key(NAME, &[0; 32]).unwrap();
    assert_eq!(
        skey,
        "PRIVATE+KEY+EnochRoot+af0cfe78+AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    );
    assert_eq!(vkey, ENOCH_VKEY);
    let (skey, vkey) =
        super::generate_key("sumdb.test.example", &std::array::from_fn(|i| i as u8)).unwrap();
    assert_eq!(
        skey,
        "PRIVATE+KEY+sumdb.test.example+9551153b+AQABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f"
    );
    assert_eq!(
        vkey,
        "sumdb.test.example+9551153b+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4"
    );

    // Ours only: a name that the keys could not be parsed back with.
    for bad in ["", "a b", "a+b", "a\u{3000}b"] {
        let err = super::generate_key(bad, &[0; 32]).unwrap_err();
        assert_eq!((err.key.as_str(), err.kind), (bad, KeyErrorKind::Malformed));
    }
}

#[test]
fn from_ed25519() {
    const NAME: &str = "EnochRoot";
    let key = SigningKey::from_bytes(&[7; 32]);
    let pubkey = key.verifying_key().to_bytes();
    // newSignerFromEd25519Seed in x/mod's test, by way of a signer key.
    let (skey, _) = super::generate_key(NAME, &key.to_bytes()).unwrap();
    let signer = Signer::new(&skey).unwrap();
    let vkey = new_ed25519_verifier_key(NAME, &pubkey).unwrap();
    let verifier = Verifier::new(&vkey).unwrap();
    test_signer_and_verifier(NAME, &signer, &verifier);

    // Check that wrong key sizes return errors.
    let err = new_ed25519_verifier_key(NAME, &pubkey[..31]).unwrap_err();
    assert_eq!(err.kind, KeyErrorKind::PublicKeySize(31));
    assert_eq!(err.to_string(), "invalid public key size 31, expected 32");
}

#[test]
fn sign() {
    let signer = Signer::new(PETER_SKEY).unwrap();
    let want = format!("{TEXT}\n{PETER_SIG}");

    let msg = super::sign(TEXT, std::slice::from_ref(&signer)).unwrap();
    assert_eq!(String::from_utf8(msg).unwrap(), want);

    // Check that existing signature is replaced by new one.
    let n = Note {
        text: TEXT.into(),
        sigs: vec![signature("PeterNeumann", 0xc74f20a3, "BADSIGN=")],
        ..Note::default()
    };
    let msg = n.sign(std::slice::from_ref(&signer)).unwrap();
    assert_eq!(
        String::from_utf8(msg).unwrap(),
        want,
        "sign replacing signature"
    );

    // Check various bad inputs.
    let err = super::sign("abc", std::slice::from_ref(&signer)).unwrap_err();
    assert_eq!(err.to_string(), "malformed note", "sign with short text");

    let n = Note {
        text: TEXT.into(),
        sigs: vec![signature("a+b", 0, "ABCD")],
        ..Note::default()
    };
    assert_eq!(
        n.sign(&[]).unwrap_err(),
        NoteError::Malformed,
        "sign with bad name"
    );

    let n = Note {
        text: TEXT.into(),
        sigs: vec![signature("PeterNeumann", 0xc74f20a3, "BADHASH=")],
        ..Note::default()
    };
    assert_eq!(
        n.sign(&[]).unwrap_err(),
        NoteError::Malformed,
        "sign with bad pre-filled signature"
    );
    // x/mod's badSigner and errSigner cases cannot be built: a Signer's name was checked when
    // its key was parsed, and Ed25519 signing cannot fail.
}

#[test]
fn sign_keeps_other_signatures() {
    // Existing signatures come first, verified then unverified; new ones follow.
    let (skey, _) = super::generate_key("EnochRoot", &[0; 32]).unwrap();
    let enoch_signer = Signer::new(&skey).unwrap();
    let n = Note {
        text: TEXT.into(),
        sigs: vec![peter()],
        unverified_sigs: vec![signature("Other", 0x01020304, "AQIDBAU=")],
    };
    let msg = n.sign(&[enoch_signer]).unwrap();
    assert_eq!(
        String::from_utf8(msg).unwrap(),
        format!("{TEXT}\n{PETER_SIG}— Other AQIDBAU=\n{ENOCH_SIG}")
    );
    // With no signers, x/mod writes the text, the blank line and the old signatures.
    assert_eq!(
        super::sign(TEXT, &[]).unwrap(),
        format!("{TEXT}\n").as_bytes()
    );
}

#[test]
fn verifier_list() {
    let peter_verifier = Verifier::new(PETER_VKEY).unwrap();
    let enoch_verifier = Verifier::new(ENOCH_VKEY).unwrap();

    let list = [
        peter_verifier.clone(),
        enoch_verifier.clone(),
        enoch_verifier,
    ];
    let v = find_verifier(&list, "PeterNeumann", 0xc74f20a3).unwrap();
    assert_eq!(v.map(Verifier::name), Some("PeterNeumann"));
    // x/mod's "unknown key PeterNeumann+c74f20a4" is, here, no verifier.
    assert!(
        find_verifier(&list, "PeterNeumann", 0xc74f20a4)
            .unwrap()
            .is_none()
    );
    assert!(
        find_verifier(&list, "PeterNeuman", 0xc74f20a3)
            .unwrap()
            .is_none()
    );
    let err = find_verifier(&list, "EnochRoot", 0xaf0cfe78).unwrap_err();
    assert_eq!(err.to_string(), "ambiguous key EnochRoot+af0cfe78");
}

#[test]
fn open() {
    let peter_verifier = Verifier::new(PETER_VKEY).unwrap();
    let enoch_verifier = Verifier::new(ENOCH_VKEY).unwrap();
    let both = format!("{TEXT}\n{PETER_SIG}{ENOCH_SIG}");

    // Check one signature verified, one not.
    let n = super::open(both.as_bytes(), std::slice::from_ref(&peter_verifier)).unwrap();
    assert_eq!(n.text, TEXT);
    assert_eq!(n.sigs, [peter()]);
    assert_eq!(n.unverified_sigs, [enoch()]);

    // Check both verified.
    let n = super::open(
        both.as_bytes(),
        &[peter_verifier.clone(), enoch_verifier.clone()],
    )
    .unwrap();
    assert_eq!(n.sigs, [peter(), enoch()]);
    assert_eq!(n.unverified_sigs, []);

    // Check both unverified.
    let err = super::open(both.as_bytes(), &[]).unwrap_err();
    assert_eq!(err.to_string(), "note has no verifiable signatures");
    let NoteError::Unverified { note: n } = err else {
        panic!("open unverified: {err:?}, want Unverified");
    };
    assert_eq!(n.sigs, []);
    assert_eq!(n.unverified_sigs, [peter(), enoch()]);

    // Check duplicated verifier.
    let err = super::open(
        format!("{TEXT}\n{ENOCH_SIG}").as_bytes(),
        &[
            enoch_verifier.clone(),
            peter_verifier.clone(),
            enoch_verifier.clone(),
        ],
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "ambiguous key EnochRoot+af0cfe78");

    // Check unused duplicated verifier.
    super::open(
        format!("{TEXT}\n{PETER_SIG}").as_bytes(),
        &[
            enoch_verifier.clone(),
            peter_verifier.clone(),
            enoch_verifier,
        ],
    )
    .unwrap();

    // Check too many signatures.
    let many = format!("{TEXT}\n{}", PETER_SIG.repeat(101));
    for known in [std::slice::from_ref(&peter_verifier), &[]] {
        let err = super::open(many.as_bytes(), known).unwrap_err();
        assert_eq!(err, NoteError::Malformed, "too many signatures");
    }
    // ... but 100 is fine.
    let hundred = format!("{TEXT}\n{}", PETER_SIG.repeat(100));
    let n = super::open(hundred.as_bytes(), std::slice::from_ref(&peter_verifier)).unwrap();
    assert_eq!(n.sigs, [peter()]);

    // Invalid signature.
    let bad = format!("{TEXT}\n{}ABCD{}", &PETER_SIG[..60], &PETER_SIG[60..]);
    let err = super::open(bad.as_bytes(), std::slice::from_ref(&peter_verifier)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid signature for key PeterNeumann+c74f20a3"
    );

    // Duplicated verified and unverified signatures.
    let enoch_abcd = signature(
        "EnochRoot",
        0xaf0cfe78,
        "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5nABCD2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=",
    );
    let dups = format!(
        "{TEXT}\n{PETER_SIG}{PETER_SIG}{ENOCH_SIG}{ENOCH_SIG}{}ABCD{}",
        &ENOCH_SIG[..60],
        &ENOCH_SIG[60..]
    );
    let n = super::open(dups.as_bytes(), std::slice::from_ref(&peter_verifier)).unwrap();
    assert_eq!(n.sigs, [peter()]);
    assert_eq!(n.unverified_sigs, [enoch(), enoch_abcd]);

    // Invalid encoded message syntax.
    let bad_msgs = [
        TEXT.to_owned(),
        format!("{TEXT}\n"),
        format!("{TEXT}\n{}", &PETER_SIG[..PETER_SIG.len() - 1]),
        format!("\x01{TEXT}\n{PETER_SIG}"),
        format!(
            "{TEXT}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
        ),
        format!("{TEXT}\n{PETER_SIG}Unexpected line.\n"),
    ];
    for msg in &bad_msgs {
        let err = super::open(msg.as_bytes(), std::slice::from_ref(&peter_verifier)).unwrap_err();
        assert_eq!(err, NoteError::Malformed, "{msg:?}");
    }
    // "\xff" + text: not UTF-8, so not a str.
    let mut msg = vec![0xff];
    msg.extend_from_slice(format!("{TEXT}\n{PETER_SIG}").as_bytes());
    let err = super::open(&msg, std::slice::from_ref(&peter_verifier)).unwrap_err();
    assert_eq!(err, NoteError::Malformed);

    // x/mod's fixedVerifier cases (a Verifiers that returns the wrong key) cannot be built: the
    // verifiers are a slice, searched by name and hash.
}

/// Notes x/mod's Open reads in ways worth pinning down, each answered as Go 1.19 with x/mod
/// 0.7.0 answers.
const OPEN_CASES: &[(&str, Result<usize, &str>)] = &[
    // (note after the text and blank line, Ok(verified count) or the error).
    // Leftover bits in the last base64 character are ignored, as Go's decoder does: this is
    // PETER_SIG with "AM=" changed to "AN=", which decodes to the same bytes.
    (
        "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAN=\n",
        Ok(1),
    ),
    // No padding: Go's StdEncoding wants it.
    (
        "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM\n",
        Err("malformed note"),
    ),
    // A known key hash with a short signature: it verifies to false.
    (
        "— PeterNeumann x08go/8=\n",
        Err("invalid signature for key PeterNeumann+c74f20a3"),
    ),
    // Four bytes are not enough.
    ("— PeterNeumann x08go/==\n", Err("malformed note")),
    // A second signature by the same key is not checked.
    (
        "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n\
         — PeterNeumann x08go/8=\n",
        Ok(1),
    ),
    // A hyphen, not an em dash.
    (
        "- PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
        Err("malformed note"),
    ),
    // Two spaces: the base64 then starts with a space.
    (
        "— PeterNeumann  x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
        Err("malformed note"),
    ),
    // Carriage returns are control characters.
    (
        "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\r\n",
        Err("malformed note"),
    ),
    // The split is at the last blank line, so this one's signature block is empty.
    (
        "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n\n",
        Err("malformed note"),
    ),
];

#[test]
fn open_cases() {
    let peter_verifier = Verifier::new(PETER_VKEY).unwrap();
    for &(sigs, want) in OPEN_CASES {
        let msg = format!("{TEXT}\n{sigs}");
        let got = super::open(msg.as_bytes(), std::slice::from_ref(&peter_verifier));
        let got = got.map(|n| n.sigs.len()).map_err(|e| e.to_string());
        assert_eq!(got, want.map_err(str::to_owned), "{sigs:?}");
    }
}

/// Spec 5.6: a lookup's signed tree head from a private database, accepted by go 1.19, opened
/// with the example verifier key of spec 5.2.
#[test]
fn open_spec_tree_head() {
    let vkey = "sumdb.example.test+54c52ccc+AbYHNPVgmI3xDMx6IWV5Bpxfreo7umg1b6ictYLK83c0";
    let text = "go.sum database tree\n2\nTH6+8E2sqp7IX15QqxorfH913PkbItg+uGGqWdO0BFE=\n";
    let msg = format!(
        "{text}\n— sumdb.example.test VMUszKSQeTDNj15dhzuOKCrMIAEt4p5SLshPEyg5S4qP4+r2M4OWXpGMzBXVUnhWbu5tPKQehwDM3SWpfRSdvrSNnw4=\n"
    );
    let n = super::open(msg.as_bytes(), &[Verifier::new(vkey).unwrap()]).unwrap();
    assert_eq!(n.text, text);
    assert_eq!(
        (n.sigs[0].name.as_str(), n.sigs[0].hash),
        ("sumdb.example.test", 0x54c52ccc)
    );

    // A changed tree size breaks the signature.
    let forged = msg.replacen("\n2\n", "\n3\n", 1);
    let err = super::open(forged.as_bytes(), &[Verifier::new(vkey).unwrap()]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid signature for key sumdb.example.test+54c52ccc"
    );
}

#[test]
fn verifier_of_a_non_point() {
    // 32 bytes that are not a point on the curve: Go's NewVerifier accepts the key and every
    // signature then fails to verify.
    let key = (0..=255u8)
        .map(|b| [b; 32])
        .find(|key| VerifyingKey::from_bytes(key).is_err())
        .unwrap();
    let vkey = new_ed25519_verifier_key("NotAPoint", &key).unwrap();
    let verifier = Verifier::new(&vkey).unwrap();
    assert!(!verifier.verify(b"hi", &[0; 64]));
}

#[test]
fn a_signer_knows_its_verifier_key() {
    let (skey, vkey) = super::generate_key("sum.corp.example", &[7; 32]).expect("a key");
    let signer = Signer::new(&skey).expect("a signer");
    assert_eq!(signer.verifier_key(), vkey);
    let signed = super::sign("hello\n", std::slice::from_ref(&signer)).expect("signed");
    let verifier = Verifier::new(&signer.verifier_key()).expect("a verifier");
    assert_eq!(
        super::open(&signed, &[verifier]).expect("opens").text,
        "hello\n"
    );
}
