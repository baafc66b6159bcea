//! Load-time behaviour frozen as text: each case is some `[[step]]` tables
//! and the exact result (with `file:line:column`) loading them gave before
//! the steps moved to one file each. It only parses; it must not run anything.

use std::path::Path;

use super::parse_text;

const HEAD: &str = "id = \"storage/x\"\ntitle = \"x\"\nrepository = \"r/x\"\n\n";
const TAIL: &str = "\n[[expect]]\nversions = \"*\"\noutcome = \"pass\"\n";

fn load(steps: &str) -> Result<(), String> {
    parse_text(Path::new("s.toml"), &format!("{HEAD}{steps}{TAIL}"))
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// `(steps, result)`. Keys on kinds without fields (`catalog`,
/// `clear-faults`, `rotate-federated-token`) were always ignored, so they still are.
const CASES: &[(&str, Result<(), &str>)] = &[
    (
        "[[step]]\nkind = \"conformance\"\nenv = { OCI_DATA_SHA512 = \"false\" }\n",
        Ok(()),
    ),
    (
        "[[step]]\nkind = \"conformance\"\nenv = { DATA_SHA512 = \"false\" }\n",
        Err("s.toml:5:1: env key \"DATA_SHA512\": the suite reads OCI_* variables only (see its README)"),
    ),
    (
        "[[step]]\nkind = \"conformance\"\n[[step.known]]\ntests = [\"*/referrers\"]\nversions = \">=v3.0.0\"\nbecause = \"404\"\n",
        Ok(()),
    ),
    (
        "[[step]]\nkind = \"conformance\"\n[[step.known]]\ntests = [\"*/referrers\"]\nversions = \">=3.0\"\nbecause = \"404\"\n",
        Err("s.toml:5:1: known versions \">=3.0\": unknown registry version \"v3.0\": not a semantic version tag such as v3.0.0 or v3.0.0-rc.1"),
    ),
    (
        "[[step]]\nkind = \"catalog\"\n",
        Ok(()),
    ),
    (
        "[[step]]\nkind = \"catalog\"\nfoo = 1\n",
        Ok(()),
    ),
    (
        "[[step]]\nkind = \"clear-faults\"\nfoo = 1\n",
        Ok(()),
    ),
    (
        "[[step]]\nkind = \"push-blob\"\nblob = \"a\"\nsize = 1\nmode = \"monolithic\"\nsise = 3\n",
        Err("s.toml:5:1: unknown field `sise`, expected one of `blob`, `size`, `mode`, `chunk`, `may-fail`"),
    ),
    (
        "[[step]]\nkind = \"pull-blobs\"\nblobs = []\nextra = 1\n",
        Err("s.toml:5:1: unknown field `extra`, expected `blobs`"),
    ),
    (
        "[[step]]\nkind = \"check-invariants\"\nrecover_within = \"1s\"\n",
        Err("s.toml:5:1: unknown field `recover_within`, expected `recover-within`"),
    ),
    (
        "[[step]]\nkind = \"nope\"\n",
        Err("s.toml:6:8: unknown variant `nope`, expected one of `push-blob`, `push-manifest`, `push-concurrently`, `pull-manifest`, `pull-blobs`, `pull-range`, `head-blob`, `head-manifest`, `upload-status`, `referrers`, `read-storage`, `mount-blob`, `list-tags`, `catalog`, `delete-manifest`, `delete-tag`, `delete-blob`, `tag-manifest`, `tag-many`, `copy-image`, `storage-object`, `check-storage`, `push-denied`, `check-invariants`, `garbage-collect`, `inject-fault`, `clear-faults`, `restart`, `push-across-restart`, `wait`, `rotate-federated-token`, `identity-outage`, `check-credentials`, `conformance`"),
    ),
    (
        "[[step]]\nblob = \"a\"\n",
        Err("s.toml:5:1: missing field `kind`"),
    ),
    (
        "[[step]]\nkind = \"push-blob\"\nblob = \"a\"\nmode = \"monolithic\"\n",
        Err("s.toml:5:1: missing field `size`"),
    ),
    (
        "[[step]]\nkind = \"push-blob\"\nblob = \"a\"\nsize = true\nmode = \"monolithic\"\n",
        Err("s.toml:5:1: invalid type: boolean `true`, expected a byte count or a size such as \"5MiB\""),
    ),
    (
        "[[step]]\nkind = \"push-blob\"\nblob = \"a\"\nsize = 5\nmode = \"chunked\"\n",
        Err("s.toml:5:1: a chunked push-blob needs a non-zero `chunk` size"),
    ),
    (
        "[[step]]\nkind = \"push-blob\"\nblob = \"a\"\nsize = 5\nmode = \"chunked\"\nchunk = 0\n",
        Err("s.toml:5:1: a chunked push-blob needs a non-zero `chunk` size"),
    ),
    (
        "[[step]]\nkind = \"push-blob\"\nblob = \"a\"\nsize = 5\nmode = \"chunked\"\nchunk = 2\n",
        Ok(()),
    ),
    (
        "[[step]]\nkind = \"push-blob\"\nblob = \"a\"\nsize = 1\nmode = \"monolithic\"\n[[step]]\nkind = \"push-blob\"\nblob = \"a\"\nsize = 1\nmode = \"monolithic\"\n",
        Err("s.toml:10:1: blob \"a\" is pushed twice"),
    ),
    (
        "[[step]]\nkind = \"pull-blobs\"\nblobs = [\"nope\"]\n",
        Err("s.toml:5:1: blob \"nope\" is used before a push-blob step defines it"),
    ),
    (
        "[[step]]\nkind = \"push-blob\"\nblob = \"a\"\nsize = 1\nmode = \"monolithic\"\n[[step]]\nkind = \"pull-blobs\"\nblobs = [\"a\", \"b\"]\n",
        Err("s.toml:10:1: blob \"b\" is used before a push-blob step defines it"),
    ),
    (
        "[[step]]\nkind = \"push-blob\"\nblob = \"a\"\nsize = 1\nmode = \"monolithic\"\n[[step]]\nkind = \"read-storage\"\nblobs = [\"b\"]\n",
        Err("s.toml:10:1: blob \"b\" is used before a push-blob step defines it"),
    ),
    (
        "[[step]]\nkind = \"push-blob\"\nblob = \"a\"\nsize = 1\nmode = \"monolithic\"\n[[step]]\nkind = \"push-manifest\"\ntag = \"t\"\nlayers = [\"a\", \"z\"]\n",
        Err("s.toml:10:1: blob \"z\" is used before a push-blob step defines it"),
    ),
    (
        "[[step]]\nkind = \"push-blob\"\nblob = \"a\"\nsize = 1\nmode = \"monolithic\"\n[[step]]\nkind = \"mount-blob\"\nblob = \"q\"\ninto = \"o\"\n",
        Err("s.toml:10:1: blob \"q\" is used before a push-blob step defines it"),
    ),
    (
        "[[step]]\nkind = \"push-blob\"\nblob = \"a\"\nsize = 1\nmode = \"monolithic\"\n[[step]]\nkind = \"mount-blob\"\nblob = \"a\"\ninto = \"o\"\n",
        Ok(()),
    ),
    (
        "[[step]]\nkind = \"rotate-federated-token\"\n",
        Err("s.toml:5:1: rotate-federated-token needs `[identity] workload = \"workload-identity\"`"),
    ),
    (
        "[[step]]\nkind = \"inject-fault\"\nrule = \"bogus\"\n",
        Err("s.toml:5:1: fault rule: `bogus`: expected key=value, e.g. `action=status:503`"),
    ),
    (
        "[[step]]\nkind = \"inject-fault\"\nrule = \"host=* action=status:503\"\n",
        Err("s.toml:5:1: fault rule: `*`: invalid host pattern: invalid host pattern `*`: `*` is only allowed as the first label (use `host.example` or `*.example`)"),
    ),
    (
        "[[step]]\nkind = \"check-credentials\"\nschemes = [\"bearer\", \"magic\"]\n",
        Err("s.toml:5:1: unknown credential scheme \"magic\": use shared_key, bearer, sas, basic, other, none"),
    ),
    (
        "[[step]]\nkind = \"check-credentials\"\nschemes = [\"bearer\"]\nmin-token-grants = 2\n",
        Ok(()),
    ),
    (
        "[[step]]\nkind = \"push-across-restart\"\nblob = \"p\"\nsize = 10\nchunk = 2\nprocess = \"azurite\"\nafter-chunks = 1\n[[step]]\nkind = \"pull-blobs\"\nblobs = [\"p\"]\n",
        Err("s.toml:12:1: blob \"p\" is used before a push-blob step defines it"),
    ),
    (
        "[[step]]\nkind = \"restart\"\nprocess = \"kernel\"\n",
        Err("s.toml:5:1: unknown variant `kernel`, expected `azurite` or `registry`"),
    ),
    (
        "[[step]]\nkind = \"wait\"\nduration = \"3 fortnights\"\n",
        Err("s.toml:5:1: invalid duration \"3 fortnights\": use a number with ms, s, m or h (`90s`)"),
    ),
    (
        "[[step]]\nkind = \"push-denied\"\n",
        Ok(()),
    ),
    (
        "[[step]]\nkind = \"push-denied\"\nrepository = \"o\"\nsecurity = true\nx = 1\n",
        Err("s.toml:5:1: unknown field `x`, expected `repository` or `security`"),
    ),
    (
        "[[step]]\nkind = \"identity-outage\"\nduration = \"1s\"\n",
        Err("s.toml:5:1: missing field `recover-within`"),
    ),
    (
        "[[step]]\nkind = \"list-tags\"\nexpect = [\"a\"]\n",
        Ok(()),
    ),
    (
        "[[step]]\nkind = \"delete-manifest\"\ntag = \"t\"\ntag2 = 1\n",
        Err("s.toml:5:1: unknown field `tag2`, expected `tag`"),
    ),
    (
        "[[step]]\nkind = \"pull-manifest\"\n",
        Err("s.toml:5:1: missing field `tag`"),
    ),
    (
        "[[step]]\nkind = \"tag-manifest\"\nmanifest = \"a\"\n",
        Err("s.toml:5:1: missing field `tag`"),
    ),
    (
        "[[step]]\nkind = \"storage-object\"\nname = \"x\"\nblob-type = \"Block\"\n",
        Err("s.toml:5:1: blob-type \"Block\": use BlockBlob, AppendBlob, PageBlob or absent"),
    ),
    (
        "[[step]]\nkind = \"list-tags\"\nexpect = [\"latest\", \"t-{000..249}\"]\npage-size = 100\n",
        Ok(()),
    ),
    (
        "[[step]]\nkind = \"list-tags\"\nexpect = []\npage-size = 0\n",
        Err("s.toml:5:1: page-size must be at least 1"),
    ),
    (
        "[[step]]\nkind = \"list-tags\"\nexpect = [\"t-{9..1}\"]\n",
        Err("s.toml:5:1: \"t-{9..1}\": the range runs backwards (9 > 1)"),
    ),
    (
        "[[step]]\nkind = \"list-tags\"\nexpect = []\npage_size = 2\n",
        Err("s.toml:5:1: unknown field `page_size`, expected one of `expect`, `page-size`, `last`"),
    ),
    (
        "[[step]]\nkind = \"catalog\"\npage-size = 1\nexpect = [\"r/x\", \"r/x-{1..3}\"]\n",
        Ok(()),
    ),
    (
        "[[step]]\nkind = \"catalog\"\nexpect = [\"r/{x}\"]\n",
        Err("s.toml:5:1: \"r/{x}\": write one numbered range as {FIRST..LAST}, e.g. \"t-{000..249}\""),
    ),
    (
        "[[step]]\nkind = \"catalog\"\npage-size = 0\n",
        Err("s.toml:5:1: page-size must be at least 1"),
    ),
    (
        "[[step]]\nkind = \"tag-many\"\nmanifest = \"v1\"\nprefix = \"t\"\n",
        Err("s.toml:5:1: missing field `count`"),
    ),
    (
        "[[step]]\nkind = \"tag-many\"\nmanifest = \"v1\"\nprefix = \"t\"\ncount = 0\n",
        Err("s.toml:5:1: count must be 1 to 10000"),
    ),
    (
        "[[step]]\nkind = \"tag-many\"\nmanifest = \"v1\"\nprefix = \"t\"\ncount = 250\n",
        Ok(()),
    ),
    (
        "[[step]]\nkind = \"delete-blob\"\nblob = \"nope\"\n",
        Err("s.toml:5:1: blob \"nope\" is used before a push-blob step defines it"),
    ),
    (
        "[[step]]\nkind = \"check-storage\"\n",
        Ok(()),
    ),
    (
        "[[step]]\nkind = \"copy-image\"\nmanifest = \"v1\"\nprefix = \"Mirror\"\ncount = 2\n",
        Err("s.toml:5:1: prefix \"Mirror\": a repository path component is lower-case letters and digits, with ., _ or - between them"),
    ),
    (
        "[[step]]\nkind = \"list-tags\"\nexpect = [\"t-{100..249}\"]\npage-size = 60\nlast = \"t-099\"\n",
        Ok(()),
    ),
    (
        "[[step]]\nkind = \"push-blob\"\nblob = \"a\"\nsize = 1\nmode = \"monolithic\"\n[[step]]\nkind = \"pull-range\"\nblob = \"a\"\nranges = [\"0-9\", \"10-\", \"-5\"]\n",
        Ok(()),
    ),
    (
        "[[step]]\nkind = \"push-blob\"\nblob = \"a\"\nsize = 1\nmode = \"monolithic\"\n[[step]]\nkind = \"pull-range\"\nblob = \"a\"\nranges = [\"9-0\"]\n",
        Err("s.toml:5:1: range \"9-0\" ends before it starts"),
    ),
    (
        "[[step]]\nkind = \"pull-range\"\nblob = \"a\"\nranges = [\"0-9\"]\n",
        Err("s.toml:5:1: blob \"a\" is used before a push-blob step defines it"),
    ),
    (
        "[[step]]\nkind = \"upload-status\"\nblob = \"a\"\nsize = \"1MiB\"\nchunk = 0\n",
        Err("s.toml:5:1: upload-status needs a non-zero `size` and `chunk`"),
    ),
    (
        "[[step]]\nkind = \"upload-status\"\nblob = \"a\"\nsize = \"1MiB\"\nchunk = \"256KiB\"\n[[step]]\nkind = \"head-blob\"\nblob = \"a\"\n",
        Ok(()),
    ),
    (
        "[[step]]\nkind = \"push-manifest\"\ntag = \"s\"\nlayers = []\nby-digest = true\nsubject = \"v1\"\nartifact-type = \"signature\"\n",
        Err("s.toml:5:1: artifact-type \"signature\" is not a media type (type/subtype)"),
    ),
    (
        "[[step]]\nkind = \"push-blob\"\nblob = \"a\"\nsize = 1\nmode = \"monolithic\"\n[[step]]\nkind = \"push-manifest\"\ntag = \"v1\"\nlayers = [\"a\"]\n[[step]]\nkind = \"push-manifest\"\ntag = \"s\"\nlayers = [\"a\"]\nby-digest = true\nsubject = \"v1\"\n[[step]]\nkind = \"referrers\"\nmanifest = \"v1\"\nexpect = [\"s\"]\nartifact-type = \"application/x.sig\"\n[[step]]\nkind = \"head-manifest\"\ntag = \"s\"\n",
        Ok(()),
    ),
    (
        "[[step]]\nkind = \"referrers\"\nmanifest = \"v1\"\nexpect = []\n",
        Err("s.toml:5:1: manifest \"v1\" is used before a step pushes or tags it"),
    ),
    (
        "[[step]]\nkind = \"push-blob\"\nblob = \"a\"\nsize = 1\nmode = \"monolithic\"\n[[step]]\nkind = \"push-manifest\"\ntag = \"v1\"\nlayers = [\"a\"]\n[[step]]\nkind = \"referrers\"\nmanifest = \"v1\"\nexpect = [\"typo\"]\n",
        Err("s.toml:14:1: manifest \"typo\" is used before a step pushes or tags it"),
    ),
    (
        "[[step]]\nkind = \"push-blob\"\nblob = \"a\"\nsize = 1\nmode = \"monolithic\"\n[[step]]\nkind = \"push-manifest\"\ntag = \"v1\"\nlayers = [\"a\"]\n[[step]]\nkind = \"push-manifest\"\ntag = \"v1\"\nlayers = [\"a\"]\nby-digest = true\n",
        Err("s.toml:14:1: manifest name \"v1\" is already used by an earlier step"),
    ),
    (
        "[[step]]\nkind = \"head-manifest\"\ntag = \"v9\"\n",
        Err("s.toml:5:1: manifest \"v9\" is used before a step pushes or tags it"),
    ),
    (
        "[[step]]\nkind = \"check-storage\"\nrequire-pushed = true\nall = 1\n",
        Err("s.toml:5:1: unknown field `all`, expected `require-pushed`"),
    ),
];

#[test]
fn steps_load_as_they_did() {
    for (steps, expected) in CASES {
        let expected = expected.map_err(str::to_string);
        assert_eq!(load(steps), expected, "{steps}");
    }
}

/// `[auth] key-file`: found relative to the scenario file, refused at load
/// (with its line) when missing or of another algorithm than `key`.
#[test]
fn an_auth_key_file_is_resolved_and_checked_at_load() {
    use regmatrix_mocks::jose::{AnyKey, KeyKind};
    use regmatrix_mocks::seed::Seed;
    let dir = tempfile::tempdir().unwrap();
    let ec = AnyKey::from_seed(KeyKind::Es256, Seed::new(3)).unwrap();
    std::fs::write(dir.path().join("ec.pem"), ec.pkcs8_pem()).unwrap();
    let scenario =
        |auth: &str| format!("{HEAD}[auth]\n{auth}\n[[step]]\nkind = \"catalog\"\n{TAIL}");
    let file = dir.path().join("s.toml");
    let loaded = parse_text(&file, &scenario("key = \"ec\"\nkey-file = \"ec.pem\"")).unwrap();
    let auth = loaded.spec.auth.unwrap();
    assert_eq!(auth.key_file, Some(dir.path().join("ec.pem")));

    let wrong = parse_text(&file, &scenario("key = \"rsa\"\nkey-file = \"ec.pem\""))
        .unwrap_err()
        .to_string();
    assert!(
        wrong.contains(":7:1: [auth] key-file") && wrong.contains("ES256"),
        "{wrong}"
    );
    let missing = parse_text(&file, &scenario("key-file = \"nope.pem\""))
        .unwrap_err()
        .to_string();
    assert!(missing.contains("nope.pem"), "{missing}");
}

/// `[registry] delete`: on unless a file turns it off, also when the file
/// has no `[registry]` section at all.
#[test]
fn registry_delete_defaults_to_on() {
    let steps = "[[step]]\nkind = \"catalog\"\n";
    let with = |registry: &str| {
        parse_text(
            Path::new("s.toml"),
            &format!("{HEAD}{registry}\n{steps}{TAIL}"),
        )
        .map(|s| s.spec.registry.delete)
        .map_err(|e| e.to_string())
    };
    assert_eq!(with(""), Ok(true));
    assert_eq!(with("[registry]\ncredentials = \"shared-key\""), Ok(true));
    assert_eq!(with("[registry]\ndelete = false"), Ok(false));
    assert_eq!(
        with("[registry]\ndelete = \"no\""),
        Err("s.toml:6:10: invalid type: string \"no\", expected a boolean".into())
    );
}
