//! [`ControlPlane`]: a real Kubernetes control plane for tests.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::OnceCell;

use super::ControlPlaneError;
use super::fixture::in_namespace;
use super::launcher::Launcher;
use crate::{KubeCluster, KubeConfig};

/// Environment variable naming the directory of the control plane's programs (what
/// the mcp-ops repository's `scripts/build-control-plane` prints).
pub const BIN_ENV: &str = "MCP_OPS_CONTROL_PLANE_BIN";
/// Environment variable naming the admin kubeconfig of a control plane that is already
/// running (the repository's `scripts/control-plane --kubeconfig-out FILE`); [`ControlPlane::shared`] attaches
/// to it instead of starting one.
pub const KUBECONFIG_ENV: &str = "MCP_OPS_CONTROL_PLANE_KUBECONFIG";

/// How to start a [`ControlPlane`].
#[derive(Debug, Clone)]
pub struct ControlPlaneOptions {
    /// Directory of the programs; default: `MCP_OPS_CONTROL_PLANE_BIN`.
    pub bin_dir: Option<PathBuf>,
    /// Manifests applied once the nodes are ready (their pods are waited for).
    pub fixtures: Vec<PathBuf>,
    /// Names of the fake nodes; default: the runbook's three.
    pub nodes: Vec<String>,
    /// Pod capacity of each node.
    pub max_pods: u32,
    /// CPUs of each node (default 4, the runbook's m5.xlarge: 3920m allocatable).
    pub node_cpus: u32,
    /// Memory of each node in GiB (default 16).
    pub node_memory_gib: u32,
    /// How long start-up may take.
    pub start_timeout: Duration,
}

impl ControlPlaneOptions {
    /// Nodes sized for one control plane shared by a whole test run (64 CPUs, 256 GiB and
    /// 1,000 pods each), so that many namespaces holding the runbook's fixture fit at once.
    pub fn shared_sizes() -> Self {
        Self {
            max_pods: 1000,
            node_cpus: 64,
            node_memory_gib: 256,
            ..Self::default()
        }
    }
}

impl Default for ControlPlaneOptions {
    fn default() -> Self {
        Self {
            bin_dir: None,
            fixtures: Vec::new(),
            nodes: ["ip-10-0-1-11", "ip-10-0-1-12", "ip-10-0-1-13"]
                .map(String::from)
                .to_vec(),
            max_pods: 110,
            node_cpus: 4,
            node_memory_gib: 16,
            start_timeout: Duration::from_secs(300),
        }
    }
}

/// A real Kubernetes control plane: etcd, kube-apiserver (client certificates, service-account
/// tokens, RBAC), kube-controller-manager, kube-scheduler and kwok nodes whose pods become
/// Running and Ready without a container runtime (images whose reference contains `broken`
/// crash-loop; pods of Jobs complete).
///
/// A control plane started here ([`ControlPlane::start`]) is stopped, every process of it, when
/// the value is dropped, and also when this process dies without dropping it. One process
/// usually shares one ([`ControlPlane::shared`]) and gives each test its own namespace
/// ([`ControlPlane::namespace`]).
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use mcp_ops_core::Deployer;
/// use mcp_ops_k8s::testing::ControlPlane;
///
/// let cp = ControlPlane::shared().await?;
/// let ns = cp.namespace("deploy").await?;
/// cp.apply_fixture("deploy/fixtures/mcp-production.yaml".as_ref(), &ns).await?;
/// let cluster = cp.cluster(&ns).await?;
/// let api = format!("{ns}/mcp-typescript-api").parse()?;
/// println!("{}", cluster.rollout_status(&api).await?);
/// # Ok(()) }
/// ```
pub struct ControlPlane {
    kubeconfig: PathBuf,
    bin_dir: Option<PathBuf>,
    launcher: Option<Arc<Launcher>>,
}

impl std::fmt::Debug for ControlPlane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ControlPlane")
            .field("kubeconfig", &self.kubeconfig)
            .field("owned", &self.launcher.is_some())
            .finish()
    }
}

static SHARED: OnceCell<ControlPlane> = OnceCell::const_new();
static SEQUENCE: AtomicU64 = AtomicU64::new(0);

impl ControlPlane {
    /// Starts a control plane of this process's own.
    ///
    /// # Errors
    /// [`ControlPlaneError::NotBuilt`] when the programs are missing,
    /// [`ControlPlaneError::Startup`] (with the launcher's log) when it does not come up.
    pub async fn start(options: ControlPlaneOptions) -> Result<Self, ControlPlaneError> {
        let bin_dir = options
            .bin_dir
            .clone()
            .or_else(|| std::env::var_os(BIN_ENV).map(PathBuf::from))
            .ok_or_else(|| ControlPlaneError::NotBuilt {
                dir: format!("{BIN_ENV} is not set"),
            })?;
        let mut args = vec![
            format!("--nodes={}", options.nodes.join(",")),
            format!("--max-pods={}", options.max_pods),
            format!("--node-cpus={}", options.node_cpus),
            format!("--node-memory-gib={}", options.node_memory_gib),
        ];
        args.extend(
            options
                .fixtures
                .iter()
                .map(|f| format!("--fixture={}", f.display())),
        );
        let dir = bin_dir.clone();
        let timeout = options.start_timeout;
        let (launcher, kubeconfig) =
            tokio::task::spawn_blocking(move || Launcher::start(&dir, &args, timeout))
                .await
                .map_err(|e| ControlPlaneError::Startup(e.to_string()))??;
        Ok(Self {
            kubeconfig,
            bin_dir: Some(bin_dir),
            launcher: Some(Arc::new(launcher)),
        })
    }

    /// A control plane that is already running, by its admin kubeconfig.
    pub fn attach(kubeconfig: impl Into<PathBuf>) -> Self {
        Self {
            kubeconfig: kubeconfig.into(),
            bin_dir: std::env::var_os(BIN_ENV).map(PathBuf::from),
            launcher: None,
        }
    }

    /// The process-wide control plane: the one named by `MCP_OPS_CONTROL_PLANE_KUBECONFIG`
    /// when set, else one started on first use (with no fixture, and nodes large enough for
    /// many tests' namespaces at once) and stopped when the process exits.
    ///
    /// # Errors
    /// As [`ControlPlane::start`].
    pub async fn shared() -> Result<&'static ControlPlane, ControlPlaneError> {
        SHARED
            .get_or_try_init(|| async {
                match std::env::var_os(KUBECONFIG_ENV) {
                    Some(path) => Ok(Self::attach(path)),
                    None => Self::start(ControlPlaneOptions::shared_sizes()).await,
                }
            })
            .await
    }

    /// The admin kubeconfig (client certificate of a `system:masters` user).
    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig
    }

    /// The kubectl built at the control plane's release.
    pub fn kubectl_path(&self) -> PathBuf {
        self.bin_dir
            .as_ref()
            .map_or_else(|| PathBuf::from("kubectl"), |d| d.join("kubectl"))
    }

    /// The launcher's process id and work directory, when this process started it.
    pub fn launcher(&self) -> Option<(u32, &Path)> {
        self.launcher.as_ref().map(|l| (l.pid(), l.work_dir()))
    }

    /// A `kube::Client` as the admin.
    ///
    /// # Errors
    /// [`ControlPlaneError::Client`] when the kubeconfig cannot be read or used.
    pub async fn client(&self) -> Result<kube::Client, ControlPlaneError> {
        client_from(&self.kubeconfig).await
    }

    /// The mcp-ops backend as the admin, with `namespace` as its default namespace.
    ///
    /// # Errors
    /// [`ControlPlaneError::Client`] when the kubeconfig cannot be used.
    pub async fn cluster(&self, namespace: &str) -> Result<KubeCluster, ControlPlaneError> {
        KubeConfig::new()
            .with_kubeconfig_path(&self.kubeconfig)
            .with_namespace(namespace)
            .build()
            .await
            .map_err(|e| ControlPlaneError::Client(e.to_string()))
    }

    /// Creates a namespace named `PREFIX-N-XXXXXX` (unique in this control plane) and waits
    /// for its `default` ServiceAccount, so pods can be created in it at once.
    ///
    /// # Errors
    /// [`ControlPlaneError::Kubectl`] when it cannot be created.
    pub async fn namespace(&self, prefix: &str) -> Result<String, ControlPlaneError> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let n = SEQUENCE.fetch_add(1, Ordering::Relaxed);
        let name = format!(
            "{}-{n}-{:06x}",
            prefix.chars().take(40).collect::<String>(),
            (nanos ^ std::process::id()) & 0xff_ffff
        );
        self.kubectl(&["create", "namespace", &name]).await?;
        for _ in 0..200 {
            if self
                .kubectl(&["get", "serviceaccount", "default", "-n", &name])
                .await
                .is_ok()
            {
                return Ok(name);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(ControlPlaneError::Kubectl {
            args: format!("get serviceaccount default -n {name}"),
            stderr: "the namespace's default ServiceAccount did not appear within 10 s".into(),
        })
    }

    /// Applies a manifest into `namespace` (its Namespace documents dropped, its objects moved
    /// there) with kubectl and waits until its Deployments are Available and its pods Ready.
    ///
    /// # Errors
    /// [`ControlPlaneError::Manifest`] or [`ControlPlaneError::Kubectl`].
    pub async fn apply_fixture(
        &self,
        path: &Path,
        namespace: &str,
    ) -> Result<(), ControlPlaneError> {
        let list = in_namespace(path, namespace)?;
        self.kubectl_stdin(&["apply", "-f", "-"], list.to_string().into_bytes())
            .await?;
        self.kubectl(&[
            "wait",
            "--for=condition=Available",
            "deployment",
            "--all",
            "-n",
            namespace,
            "--timeout=180s",
        ])
        .await?;
        self.kubectl(&[
            "wait",
            "--for=condition=Ready",
            "pod",
            "--all",
            "-n",
            namespace,
            "--timeout=180s",
        ])
        .await?;
        Ok(())
    }

    /// Runs kubectl (as the admin) and returns its standard output.
    ///
    /// # Errors
    /// [`ControlPlaneError::Kubectl`] with its standard error when it exits non-zero.
    pub async fn kubectl(&self, args: &[&str]) -> Result<String, ControlPlaneError> {
        self.kubectl_stdin(args, Vec::new()).await
    }

    /// Runs kubectl with `stdin` as its standard input.
    ///
    /// # Errors
    /// As [`ControlPlane::kubectl`].
    pub async fn kubectl_stdin(
        &self,
        args: &[&str],
        stdin: Vec<u8>,
    ) -> Result<String, ControlPlaneError> {
        run_kubectl(&self.kubectl_path(), &self.kubeconfig, args, stdin).await
    }

    /// Writes to `dest` (mode 0600) a kubeconfig that authenticates as ServiceAccount
    /// `namespace/name` with a one-hour bound token (`kubectl create token`).
    ///
    /// # Errors
    /// [`ControlPlaneError::Kubectl`] or [`ControlPlaneError::Io`].
    pub async fn service_account_kubeconfig(
        &self,
        namespace: &str,
        name: &str,
        dest: &Path,
    ) -> Result<(), ControlPlaneError> {
        let token = self
            .kubectl(&["create", "token", name, "-n", namespace, "--duration=1h"])
            .await?;
        // The server and CA of our own admin kubeconfig, read as kube reads it.
        let admin = kube::config::Kubeconfig::read_from(&self.kubeconfig)
            .map_err(|e| ControlPlaneError::Client(e.to_string()))?;
        let cluster = admin
            .clusters
            .into_iter()
            .find_map(|c| c.cluster)
            .ok_or_else(|| {
                ControlPlaneError::Client("the admin kubeconfig has no cluster".into())
            })?;
        let (server, ca) = (
            cluster.server.unwrap_or_default(),
            cluster.certificate_authority_data.unwrap_or_default(),
        );
        let text = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: cp\n  cluster:\n    server: {server}\n    certificate-authority-data: {ca}\nusers:\n- name: {name}\n  user:\n    token: {}\ncontexts:\n- name: {name}\n  context:\n    cluster: cp\n    user: {name}\n    namespace: {namespace}\ncurrent-context: {name}\n",
            token.trim()
        );
        write_private(dest, text.as_bytes())?;
        Ok(())
    }

    /// Kills kube-apiserver (SIGKILL); etcd, the controllers and kwok keep running.
    ///
    /// # Errors
    /// [`ControlPlaneError::NotOwned`] on an attached control plane, else a command error.
    pub async fn stop_apiserver(&self) -> Result<(), ControlPlaneError> {
        self.command("stop apiserver", "stop_apiserver").await
    }

    /// Starts kube-apiserver again and waits until it is ready.
    ///
    /// # Errors
    /// As [`ControlPlane::stop_apiserver`].
    pub async fn start_apiserver(&self) -> Result<(), ControlPlaneError> {
        self.command("start apiserver", "start_apiserver").await
    }

    async fn command(&self, command: &str, what: &'static str) -> Result<(), ControlPlaneError> {
        let launcher = Arc::clone(
            self.launcher
                .as_ref()
                .ok_or(ControlPlaneError::NotOwned(what))?,
        );
        let command = command.to_string();
        // The launcher answers within its own two-minute readiness limit.
        tokio::task::spawn_blocking(move || launcher.command(&command, Duration::from_secs(150)))
            .await
            .map_err(|e| ControlPlaneError::Startup(e.to_string()))?
    }
}

async fn client_from(kubeconfig: &Path) -> Result<kube::Client, ControlPlaneError> {
    crate::install_crypto_provider();
    let bad = |e: String| ControlPlaneError::Client(e);
    let file = kube::config::Kubeconfig::read_from(kubeconfig).map_err(|e| bad(e.to_string()))?;
    let config = kube::Config::from_custom_kubeconfig(file, &Default::default())
        .await
        .map_err(|e| bad(e.to_string()))?;
    kube::Client::try_from(config).map_err(|e| bad(e.to_string()))
}

async fn run_kubectl(
    kubectl: &Path,
    kubeconfig: &Path,
    args: &[&str],
    stdin: Vec<u8>,
) -> Result<String, ControlPlaneError> {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new(kubectl)
        .arg(format!("--kubeconfig={}", kubeconfig.display()))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    if let Some(mut input) = child.stdin.take() {
        input.write_all(&stdin).await?;
    }
    let out = child.wait_with_output().await?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(ControlPlaneError::Kubectl {
            args: args.join(" "),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }
}

fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(data)
}
