//! `regmatrix token inspect`: what a registry token's header and claims look
//! like to a verifier, and, from a matrix report, which registry versions
//! accept that shape and why. Cells print as `Cell::reading` labels them:
//! an attack a version refused reads `refused`, one it let in `accepted`.

use std::fmt::Write as _;

use regmatrix_mocks::jose::CompactJws;

use crate::kid::KidForm;
use crate::report::{reading, MatrixReport, Tone};

#[derive(Debug, thiserror::Error)]
#[error("not a JWT: {0}")]
pub struct InspectError(String);

#[derive(Debug, Clone)]
pub struct TokenShape {
    pub alg: String,
    pub kid: Option<String>,
    pub kid_shape: KidForm,
    pub x5c_certificates: usize,
    pub embedded_jwk: bool,
    pub audience_is_list: bool,
    pub issuer: Option<String>,
    pub audiences: Vec<String>,
    pub expires_in: Option<i64>,
}

pub fn inspect(token: &str) -> Result<TokenShape, InspectError> {
    let jws = CompactJws::parse(token).map_err(|e| InspectError(e.to_string()))?;
    let kid = jws.key_id().map(str::to_string);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    Ok(TokenShape {
        alg: jws.algorithm().unwrap_or("(none given)").to_string(),
        kid_shape: KidForm::of(kid.as_deref()),
        kid,
        x5c_certificates: jws
            .header
            .get("x5c")
            .and_then(|v| v.as_array())
            .map_or(0, Vec::len),
        embedded_jwk: jws.header.contains_key("jwk"),
        audience_is_list: jws.claims.get("aud").is_some_and(|a| a.is_array()),
        issuer: jws.claim_str("iss").map(str::to_string),
        audiences: jws.audiences().into_iter().map(str::to_string).collect(),
        expires_in: jws.claim_i64("exp").map(|exp| exp - now),
    })
}

/// The scenarios whose outcome tells whether a registry accepts this shape.
pub fn relevant_scenarios(shape: &TokenShape) -> Vec<&'static str> {
    let mut ids = Vec::new();
    let alg = shape.alg.as_str();
    if alg.eq_ignore_ascii_case("none") {
        ids.push("auth/attack-alg-none");
    }
    if alg.starts_with("HS") {
        ids.push("auth/attack-hs256-public-key");
    }
    if shape.embedded_jwk {
        ids.push("auth/attack-embedded-jwk");
    }
    if shape.x5c_certificates > 0 {
        ids.push("auth/x5c-chain");
    }
    match shape.kid_shape {
        KidForm::Libtrust => ids.extend(["auth/libtrust-kid-rootcert", "auth/jwks-libtrust-kid"]),
        KidForm::Thumbprint => {
            if alg == "ES256" {
                ids.push("auth/thumbprint-kid-rootcert-ec");
            } else {
                ids.push("auth/thumbprint-kid-rootcert-rsa");
            }
            ids.push("auth/jwks-kid");
        }
        KidForm::Arbitrary => ids.push("auth/jwks-kid"),
        KidForm::None if shape.x5c_certificates == 0 && !shape.embedded_jwk => {
            ids.push("auth/no-kid-no-x5c")
        }
        KidForm::None => {}
    }
    if alg == "EdDSA" {
        ids.push("auth/ed25519-jwks");
    }
    if shape.audience_is_list {
        ids.push("auth/audience-list");
    }
    ids
}

/// A human report: the shape, then each relevant scenario's outcome per version.
pub fn render(shape: &TokenShape, report: Option<&MatrixReport>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "alg: {}", shape.alg);
    let _ = writeln!(
        out,
        "kid: {} ({})",
        shape.kid.as_deref().unwrap_or("-"),
        shape.kid_shape.describe()
    );
    let _ = writeln!(out, "x5c: {} certificate(s)", shape.x5c_certificates);
    let _ = writeln!(
        out,
        "jwk header: {}",
        if shape.embedded_jwk {
            "present"
        } else {
            "absent"
        }
    );
    let _ = writeln!(
        out,
        "iss: {}; aud: {}{}",
        shape.issuer.as_deref().unwrap_or("-"),
        shape.audiences.join(", "),
        if shape.audience_is_list {
            " (a list)"
        } else {
            ""
        }
    );
    if let Some(left) = shape.expires_in {
        let _ = writeln!(
            out,
            "exp: {}",
            if left >= 0 {
                format!("in {left}s")
            } else {
                format!("{}s ago (expired)", -left)
            }
        );
    }
    let Some(report) = report else {
        out.push_str("\nno matrix report given: run `regmatrix matrix --scenarios 'auth/*'` for per-version answers\n");
        return out;
    };
    out.push_str("\nWhich versions accept this shape (from the matrix):\n");
    for id in relevant_scenarios(shape) {
        let _ = writeln!(out, "\n{id}:");
        for version in &report.versions {
            match report.cell(id, &version.tag) {
                Some(cell) if cell.reading().tone == Tone::Good => {
                    let _ = writeln!(out, "  {}: {}", version.tag, cell.reading().label);
                }
                Some(cell) => {
                    let r = cell.reading();
                    let why: String = cell.evidence.chars().take(240).collect();
                    let expectation = if r.as_expected() {
                        "as expected".to_string()
                    } else {
                        format!("expected {}", r.expected_label)
                    };
                    let _ = writeln!(
                        out,
                        "  {}: {}, {expectation} ({}): {why}",
                        version.tag,
                        r.label,
                        reading::meaning(cell.outcome, cell.refusal),
                    );
                }
                None => {
                    let _ = writeln!(out, "  {}: not in this report", version.tag);
                }
            }
        }
    }
    if shape.kid_shape == KidForm::Libtrust {
        out.push_str("\nFix for 3.x: keep rootcertbundle and add a JWKS with the same kids:\n  regmatrix jwks from-cert <your rootcertbundle.pem> --kid libtrust --out jwks.json\n  and set auth.token.jwks: /path/to/jwks.json (proven by auth/jwks-libtrust-kid)\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use regmatrix_mocks::jose::{b64url, AnyKey, KeyKind};

    fn token(header: &str, claims: &str) -> String {
        format!(
            "{}.{}.c2ln",
            b64url(header.as_bytes()),
            b64url(claims.as_bytes())
        )
    }

    #[test]
    fn kid_shapes() {
        let key = AnyKey::generate(KeyKind::Es256).unwrap().public();
        assert_eq!(KidForm::of(Some(&key.libtrust_key_id())), KidForm::Libtrust);
        assert_eq!(
            KidForm::of(Some(&key.jwk_thumbprint())),
            KidForm::Thumbprint
        );
        assert_eq!(KidForm::of(Some("key-1")), KidForm::Arbitrary);
        assert_eq!(KidForm::of(None), KidForm::None);
    }

    #[test]
    fn shapes_map_to_the_scenarios_that_test_them() {
        let libtrust = "ABCD:EFGH:IJKL:MNOP:QRST:UVWX:YZ23:4567:ABCD:EFGH:IJKL:MNOP";
        let shape = inspect(&token(
            &format!(r#"{{"alg":"RS256","kid":"{libtrust}"}}"#),
            r#"{"iss":"i","aud":["a","b"],"exp":1}"#,
        ))
        .unwrap();
        assert_eq!(
            relevant_scenarios(&shape),
            vec![
                "auth/libtrust-kid-rootcert",
                "auth/jwks-libtrust-kid",
                "auth/audience-list"
            ]
        );
        assert!(render(&shape, None).contains("expired"));
        let bare = inspect(&token(r#"{"alg":"none"}"#, r#"{"aud":"a"}"#)).unwrap();
        assert_eq!(
            relevant_scenarios(&bare),
            vec!["auth/attack-alg-none", "auth/no-kid-no-x5c"]
        );
        assert!(inspect("garbage").is_err());
    }

    #[test]
    fn a_refused_attack_reads_refused_and_an_accepted_one_accepted() {
        use crate::report::fixtures::{cell, report};
        use crate::report::Outcome;
        let attack = |version: &str, outcome: Outcome, expected: Outcome| {
            let mut c = cell("auth/attack-alg-none", version, outcome);
            c.refusal = true;
            c.expected = expected;
            c
        };
        let matrix = report(vec![
            attack("v2.8.3", Outcome::Pass, Outcome::Pass),
            attack("v3.0.0-alpha.1", Outcome::Security, Outcome::Security),
            attack("v3.0.0", Outcome::Security, Outcome::Pass),
        ]);
        let shape = inspect(&token(r#"{"alg":"none"}"#, r#"{"aud":"a"}"#)).unwrap();
        let text = render(&shape, Some(&matrix));
        assert!(
            text.contains("auth/attack-alg-none:\n  v2.8.3: refused\n"),
            "{text}"
        );
        assert!(!text.contains("v2.8.3: pass"), "{text}");
        assert!(
            text.contains(
                "  v3.0.0-alpha.1: accepted, as expected (accepted a token it must refuse): "
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "  v3.0.0: accepted, expected refused (accepted a token it must refuse): "
            ),
            "{text}"
        );
    }
}
