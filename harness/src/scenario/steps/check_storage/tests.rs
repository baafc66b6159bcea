use super::*;

const A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const B: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn hex(d: &str) -> &str {
    &d["sha256:".len()..]
}

#[test]
fn a_link_holds_exactly_one_well_formed_digest() {
    assert_eq!(parse_link(A).map(|d| d.to_string()), Ok(A.to_string()));
    // The #4887 symptom: an append instead of an overwrite.
    assert_eq!(parse_link(&format!("{A}{B}")), Err(LinkFault::Several(2)));
    assert_eq!(
        parse_link(&format!("{A}\n{B}\n{A}")),
        Err(LinkFault::Several(3))
    );
    assert_eq!(parse_link(""), Err(LinkFault::Empty));
    for garbage in [
        "garbage",
        "sha256:abc",
        &format!("{A}\n"),
        &format!(" {A}"),
        &A.to_uppercase(),
        &format!("sha512:{}", hex(A)),
        &format!("{A}junk"),
        &format!("{A}sha256:short"),
        "\u{0}\u{0}",
    ] {
        assert_eq!(
            parse_link(garbage),
            Err(LinkFault::Malformed),
            "{garbage:?}"
        );
    }
}

#[test]
fn blob_names_map_to_digests_in_both_forms() {
    for root in ["", "/", "/custom-root/"] {
        let name = format!("{root}docker/registry/v2/blobs/sha256/01/{}/data", hex(B));
        let (seen_root, object) = classify(&name, "r/x").unwrap();
        assert_eq!(seen_root, root);
        assert_eq!(object, Object::Blob(B.parse().unwrap()));
    }
    let wrong_shard = format!("docker/registry/v2/blobs/sha256/ff/{}/data", hex(B));
    assert!(matches!(
        classify(&wrong_shard, "r/x"),
        Some((_, Object::Misnamed(e))) if e.contains("shard \"ff\"")
    ));
    let not_hex = "/docker/registry/v2/blobs/sha256/zz/zzzz/data";
    assert!(matches!(
        classify(not_hex, "r/x"),
        Some((_, Object::Misnamed(_)))
    ));
    // Not a blob's data, not the layout.
    assert_eq!(classify("docker/registry/v2/blobs/sha256/01", "r/x"), None);
    assert_eq!(classify("elsewhere/blobs/sha256/01/x/data", "r/x"), None);
}

#[test]
fn the_repositorys_links_are_classified_with_the_digest_their_path_names() {
    let repo = "regmatrix/x";
    let link = |path: &str| {
        ["", "/"].map(|root| {
            classify(
                &format!("{root}docker/registry/v2/repositories/{repo}/{path}"),
                repo,
            )
            .map(|(_, o)| o)
        })
    };
    let b: Digest = B.parse().unwrap();
    let layer = link(&format!("_layers/sha256/{}/link", hex(B)));
    assert_eq!(layer[0], layer[1]);
    assert!(
        matches!(&layer[0], Some(Object::Link(l)) if l.kind == LinkKind::Layer && l.named.as_ref() == Some(&b))
    );
    let revision = link(&format!("_manifests/revisions/sha256/{}/link", hex(B)));
    assert!(
        matches!(&revision[1], Some(Object::Link(l)) if l.kind == LinkKind::Revision && l.named.as_ref() == Some(&b))
    );
    let current = link("_manifests/tags/v1/current/link");
    assert!(
        matches!(&current[0], Some(Object::Link(l)) if l.kind == LinkKind::TagCurrent && l.named.is_none() && l.key(repo) == "repositories/regmatrix/x/_manifests/tags/v1/current/link")
    );
    let index = link(&format!("_manifests/tags/v1/index/sha256/{}/link", hex(B)));
    assert!(matches!(&index[0], Some(Object::Link(l)) if l.kind == LinkKind::TagIndex));
    // Uploads, other repositories (a longer name too) are not covered.
    assert_eq!(link("_uploads/u/data")[0], None);
    assert_eq!(
        classify(
            "docker/registry/v2/repositories/regmatrix/x-other/_manifests/tags/v1/current/link",
            repo
        ),
        None
    );
    assert_eq!(
        classify(
            "docker/registry/v2/repositories/regmatrix/x/sub/_manifests/tags/v1/current/link",
            repo
        ),
        None
    );
    // A link whose path spells no digest.
    assert!(matches!(
        link("_layers/sha256/nothex/link")[0],
        Some(Object::Misnamed(_))
    ));
}

#[test]
fn a_violation_quotes_the_object() {
    let object = StoredObject {
        blob_type: "AppendBlob".into(),
        size: 142,
        content: Some(format!("{A}{B}")),
    };
    let v = Violation::of(
        "docker/registry/v2/x/link",
        &object,
        "holds 2 digests".into(),
    );
    assert_eq!(
        v.to_string(),
        format!("docker/registry/v2/x/link (AppendBlob, 142 bytes, content \"{A}{B}\"): holds 2 digests")
    );
    assert_eq!(
        Violation::unread("n", "absent".into()).to_string(),
        "n: absent"
    );
}
