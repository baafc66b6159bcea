//! Registry images: which image a version runs (`--image TEMPLATE`), where
//! that image reads its config, and local images in the official layout
//! built `FROM scratch` from the cached binaries (they are statically
//! linked) for machines that reach no image registry.
//!
//! The official layout per major version (the `registry` images): the
//! binary at `/bin/registry`, the config at `/etc/docker/registry/config.yml`
//! for 2.x and `/etc/distribution/config.yml` for 3.x (distribution's
//! v3.0.0-beta.1 release notes), a built-in config storing on the
//! filesystem under `/var/lib/registry`.

use std::path::Path;

use bytes::Bytes;
use futures_util::StreamExt;

use super::{DockerError, Engine};
use testcontainers::bollard;

/// The default image names: the official ones.
pub const DEFAULT_TEMPLATE: &str = "registry:{version}";
pub const V2_CONFIG_PATH: &str = "/etc/docker/registry/config.yml";
pub const V3_CONFIG_PATH: &str = "/etc/distribution/config.yml";

/// The image's own config, as the official images ship one: filesystem
/// storage, port 5000. (The harness always sets `REGISTRY_HTTP_ADDR`, so
/// even this config listens on loopback only.)
const BUILT_IN_CONFIG: &str = "version: 0.1
log:
  fields:
    service: registry
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: /var/lib/registry
http:
  addr: :5000
  headers:
    X-Content-Type-Options: [nosniff]
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
";

/// Where the official image of `tag` reads its config.
pub fn official_config_path(tag: &str) -> &'static str {
    if tag.starts_with("v2.") || tag.starts_with("2.") {
        V2_CONFIG_PATH
    } else {
        V3_CONFIG_PATH
    }
}

/// `--image`: an image reference with `{version}` (the tag without its
/// `v`: `3.1.2`) and `{tag}` (`v3.1.2`) filled per version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageTemplate(String);

impl Default for ImageTemplate {
    fn default() -> Self {
        ImageTemplate(DEFAULT_TEMPLATE.to_string())
    }
}

impl std::str::FromStr for ImageTemplate {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() || text.contains(char::is_whitespace) {
            return Err(format!(
                "{text:?} is not an image reference (e.g. registry:{{version}})"
            ));
        }
        let rest = text.replace("{version}", "").replace("{tag}", "");
        if rest.contains('{') || rest.contains('}') {
            return Err(format!(
                "{text:?}: only {{version}} (3.1.2) and {{tag}} (v3.1.2) are filled in"
            ));
        }
        Ok(ImageTemplate(text.to_string()))
    }
}

impl ImageTemplate {
    pub fn reference(&self, tag: &str) -> String {
        self.0
            .replace("{version}", tag.trim_start_matches('v'))
            .replace("{tag}", tag)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `name` and `tag` as testcontainers joins them (`name:tag`): the tag is
/// what follows the last `:` after the last `/` (`latest` without one); a
/// digest reference splits at its algorithm's `:`, which joins back the same.
pub fn split_reference(reference: &str) -> (String, String) {
    let slash = reference.rfind('/').map_or(0, |i| i + 1);
    match reference[slash..].rfind(':') {
        Some(colon) => (
            reference[..slash + colon].to_string(),
            reference[slash + colon + 1..].to_string(),
        ),
        None => (reference.to_string(), "latest".to_string()),
    }
}

/// How a config path was decided, for the evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigPathSource {
    /// `--image-config`.
    Given,
    /// The config file argument of the image's command.
    ImageCommand,
    /// The official layout of the major version (the command names none).
    OfficialLayout,
}

impl ConfigPathSource {
    pub fn describe(self) -> &'static str {
        match self {
            ConfigPathSource::Given => "as --image-config says",
            ConfigPathSource::ImageCommand => "its command",
            ConfigPathSource::OfficialLayout => "the official layout",
        }
    }
}

/// An image on the engine, ready to run a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryImage {
    pub reference: String,
    /// Entrypoint then command, as the image declares them.
    pub command: Vec<String>,
    /// Where the image reads its config.
    pub config_path: String,
    pub config_path_source: ConfigPathSource,
}

impl RegistryImage {
    /// Decides where an image reads its config: `given`, else the `.yml`
    /// or `.yaml` argument of its command, else the official layout.
    pub fn new(reference: &str, tag: &str, command: Vec<String>, given: Option<&str>) -> Self {
        let (config_path, config_path_source) = match given {
            Some(path) => (path.to_string(), ConfigPathSource::Given),
            None => match command
                .iter()
                .rev()
                .find(|a| a.ends_with(".yml") || a.ends_with(".yaml"))
            {
                Some(path) => (path.clone(), ConfigPathSource::ImageCommand),
                None => (
                    official_config_path(tag).to_string(),
                    ConfigPathSource::OfficialLayout,
                ),
            },
        };
        RegistryImage {
            reference: reference.to_string(),
            command,
            config_path,
            config_path_source,
        }
    }
}

/// How an image came to be on the engine.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Provenance {
    /// The engine had it.
    Present,
    /// Pulled now, in this many seconds.
    Pulled { seconds: f64 },
}

/// The image for `tag` on the engine: inspected, or pulled first when the
/// engine lacks it. One clear error when neither works.
pub async fn resolve(
    engine: &Engine,
    reference: &str,
    tag: &str,
    given_config_path: Option<&str>,
) -> Result<(RegistryImage, Provenance), DockerError> {
    let docker = engine.client()?;
    let (inspected, provenance) = match docker.inspect_image(reference).await {
        Ok(inspected) => (inspected, Provenance::Present),
        Err(_) => {
            let started = std::time::Instant::now();
            pull(engine, &docker, reference).await?;
            let inspected = docker
                .inspect_image(reference)
                .await
                .map_err(|e| engine.api_error(&format!("inspect image {reference}"), e))?;
            let seconds = started.elapsed().as_secs_f64();
            (inspected, Provenance::Pulled { seconds })
        }
    };
    let config = inspected.config.unwrap_or_default();
    let command = config
        .entrypoint
        .unwrap_or_default()
        .into_iter()
        .chain(config.cmd.unwrap_or_default())
        .collect();
    Ok((
        RegistryImage::new(reference, tag, command, given_config_path),
        provenance,
    ))
}

async fn pull(
    engine: &Engine,
    docker: &bollard::Docker,
    reference: &str,
) -> Result<(), DockerError> {
    let (name, tag) = split_reference(reference);
    let options = bollard::query_parameters::CreateImageOptionsBuilder::default()
        .from_image(&name)
        .tag(&tag)
        .build();
    let mut stream = docker.create_image(Some(options), None, None);
    while let Some(item) = stream.next().await {
        if let Err(e) = item {
            return Err(DockerError::ImageUnavailable {
                reference: reference.to_string(),
                host: engine.address.to_string(),
                detail: e.to_string(),
            });
        }
    }
    Ok(())
}

/// The Dockerfile of a scratch image in the official layout of `tag`.
pub fn scratch_dockerfile(tag: &str) -> String {
    let config = official_config_path(tag);
    format!(
        "FROM scratch\n\
         COPY registry /bin/registry\n\
         COPY config.yml {config}\n\
         VOLUME [\"/var/lib/registry\"]\n\
         EXPOSE 5000\n\
         ENTRYPOINT [\"/bin/registry\"]\n\
         CMD [\"serve\", \"{config}\"]\n"
    )
}

/// Builds `reference` `FROM scratch` from a registry binary, in the
/// official layout of `tag` (the images' `/entrypoint.sh` needs a shell
/// these images do not have; the binary is the entrypoint instead, as in
/// distribution's own Dockerfile).
pub async fn build_scratch(
    engine: &Engine,
    binary: &Path,
    tag: &str,
    reference: &str,
) -> Result<(), DockerError> {
    let fail = |detail: String| DockerError::Build {
        reference: reference.to_string(),
        detail,
    };
    let registry = std::fs::read(binary).map_err(|e| fail(format!("{}: {e}", binary.display())))?;
    let mut context = tar::Builder::new(Vec::new());
    for (name, mode, data) in [
        ("Dockerfile", 0o644, scratch_dockerfile(tag).into_bytes()),
        ("registry", 0o755, registry),
        ("config.yml", 0o644, BUILT_IN_CONFIG.as_bytes().to_vec()),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(mode);
        header.set_cksum();
        context
            .append_data(&mut header, name, data.as_slice())
            .map_err(|e| fail(e.to_string()))?;
    }
    let context = context.into_inner().map_err(|e| fail(e.to_string()))?;
    let options = bollard::query_parameters::BuildImageOptionsBuilder::default()
        .dockerfile("Dockerfile")
        .t(reference)
        .rm(true)
        .build();
    let docker = engine.client()?;
    let mut stream = docker.build_image(
        options,
        None,
        Some(bollard::body_full(Bytes::from(context))),
    );
    while let Some(item) = stream.next().await {
        match item {
            Ok(info) => {
                if let Some(error) = info.error_detail.and_then(|d| d.message) {
                    return Err(fail(error));
                }
            }
            Err(e) => return Err(fail(e.to_string())),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_fill_the_version_and_reject_other_placeholders() {
        let template: ImageTemplate = "myacr.azurecr.io/registry:{version}".parse().unwrap();
        assert_eq!(
            template.reference("v3.1.2"),
            "myacr.azurecr.io/registry:3.1.2"
        );
        let tagged: ImageTemplate = "local/registry:{tag}".parse().unwrap();
        assert_eq!(tagged.reference("v2.8.3"), "local/registry:v2.8.3");
        assert!("registry:{major}".parse::<ImageTemplate>().is_err());
        assert!("".parse::<ImageTemplate>().is_err());
        assert_eq!(
            ImageTemplate::default().reference("v3.0.0-alpha.1"),
            "registry:3.0.0-alpha.1"
        );
    }

    #[test]
    fn references_split_as_testcontainers_joins_them() {
        let joined = |r: &str| {
            let (name, tag) = split_reference(r);
            format!("{name}:{tag}")
        };
        assert_eq!(
            split_reference("registry:3.1.2"),
            ("registry".into(), "3.1.2".into())
        );
        assert_eq!(
            split_reference("localhost:5000/registry"),
            ("localhost:5000/registry".into(), "latest".into())
        );
        for r in ["host:5000/a/b:1.0", "registry@sha256:abcd"] {
            assert_eq!(joined(r), r);
        }
    }

    #[test]
    fn the_config_path_comes_from_the_flag_the_command_or_the_layout() {
        let official = vec![
            "/entrypoint.sh".to_string(),
            "/etc/distribution/config.yml".to_string(),
        ];
        let image = RegistryImage::new("registry:3.1.2", "v3.1.2", official, None);
        assert_eq!(image.config_path, V3_CONFIG_PATH);
        assert_eq!(image.config_path_source, ConfigPathSource::ImageCommand);
        let bare = RegistryImage::new("r:2.8.3", "v2.8.3", vec!["/bin/registry".into()], None);
        assert_eq!(bare.config_path, V2_CONFIG_PATH);
        assert_eq!(bare.config_path_source, ConfigPathSource::OfficialLayout);
        let given = RegistryImage::new("r:x", "v3.1.2", vec![], Some("/config/registry.yaml"));
        assert_eq!(given.config_path, "/config/registry.yaml");
        assert!(scratch_dockerfile("v2.8.3")
            .contains("CMD [\"serve\", \"/etc/docker/registry/config.yml\"]"));
    }
}
