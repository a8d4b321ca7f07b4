//! The kubeconfig file written for kubectl.

use super::error::SimError;
use std::io::Write;

/// Kubeconfig text pointing at `url`, with an optional bearer token.
pub fn render(url: &str, token: Option<&str>) -> String {
    let user = match token {
        Some(t) => format!("    token: {t}\n"),
        None => "    {}\n".to_string(),
    };
    let user = if token.is_some() { user } else { String::new() };
    let user_block = if user.is_empty() {
        "  user: {}\n".to_string()
    } else {
        format!("  user:\n{user}")
    };
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: sim\n  cluster:\n    server: {url}\ncontexts:\n- name: sim\n  context:\n    cluster: sim\n    user: sim\n    namespace: default\ncurrent-context: sim\npreferences: {{}}\nusers:\n- name: sim\n{user_block}"
    )
}

/// Writes the kubeconfig to a temporary file that lives as long as the handle.
pub fn write(url: &str, token: Option<&str>) -> Result<tempfile::NamedTempFile, SimError> {
    let io = |context| move |source| SimError::Io { context, source };
    let mut f = tempfile::Builder::new()
        .prefix("sim-kubeconfig-")
        .suffix(".yaml")
        .tempfile()
        .map_err(io("creating the kubeconfig file"))?;
    f.write_all(render(url, token).as_bytes())
        .map_err(io("writing the kubeconfig file"))?;
    f.flush().map_err(io("writing the kubeconfig file"))?;
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_server_and_token() {
        let k = render("http://127.0.0.1:1", Some("t0k"));
        assert!(k.contains("server: http://127.0.0.1:1"));
        assert!(k.contains("token: t0k"));
        assert!(render("http://x", None).contains("user: {}"));
    }
}
