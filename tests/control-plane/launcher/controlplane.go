package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	_ "embed"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

//go:embed stages.yaml
var stagesYAML []byte

// controlPlane is one running control plane.
type controlPlane struct {
	o          options
	pki        *pki
	etcd       *embed.Etcd
	server     string
	admin      string
	apiserver  *component
	others     []*component
	readyCheck *http.Client
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startControlPlane(o options) (*controlPlane, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	p, err := newPKI(filepath.Join(o.workDir, "pki"), []clientCert{
		{stem: "admin", user: "mcp-ops-admin", groups: []string{"system:masters"}},
		{stem: "controller-manager", user: "system:kube-controller-manager"},
		{stem: "scheduler", user: "system:kube-scheduler"},
		{stem: "kwok", user: "kwok-controller", groups: []string{"system:masters"}},
	})
	if err != nil {
		return nil, fmt.Errorf("certificates: %w", err)
	}
	cp := &controlPlane{o: o, pki: p}
	ports := make([]int, 4)
	for i := range ports {
		if ports[i], err = freePort(); err != nil {
			return nil, err
		}
	}
	logs := filepath.Join(o.workDir, "logs")
	if err := os.MkdirAll(logs, 0o700); err != nil {
		return nil, err
	}
	cp.etcd, err = startEtcd(filepath.Join(o.workDir, "etcd"), filepath.Join(logs, "etcd.log"), ports[0], ports[1])
	if err != nil {
		return nil, fmt.Errorf("etcd: %w", err)
	}
	cp.server = fmt.Sprintf("https://127.0.0.1:%d", ports[2])
	cp.apiserver = newComponent(o.binDir, logs, "kube-apiserver", "kube-apiserver", []string{
		fmt.Sprintf("--etcd-servers=http://127.0.0.1:%d", ports[0]),
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", ports[2]),
		"--cert-dir=" + filepath.Join(o.workDir, "apiserver-certs"),
		"--tls-cert-file=" + p.certFile("apiserver"),
		"--tls-private-key-file=" + p.keyFile("apiserver"),
		"--client-ca-file=" + p.certFile("ca"),
		"--service-account-key-file=" + filepath.Join(p.dir, "service-account.pub"),
		"--service-account-signing-key-file=" + p.keyFile("service-account"),
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--authorization-mode=Node,RBAC",
		"--service-cluster-ip-range=10.0.0.0/24",
		"--allow-privileged=true",
		"--enable-priority-and-fairness=false",
		"--max-requests-inflight=0",
		"--max-mutating-requests-inflight=0",
		"--profiling=false",
		"--endpoint-reconciler-type=none",
	})
	if err := cp.startAPIServer(ctx); err != nil {
		return cp, err
	}
	for _, u := range []string{"admin", "controller-manager", "scheduler", "kwok"} {
		text, err := kubeconfigText(p, cp.server, u, "mcp-ops-control-plane")
		if err != nil {
			return cp, err
		}
		if err := writeFileAtomic(filepath.Join(o.workDir, u+".kubeconfig"), []byte(text)); err != nil {
			return cp, err
		}
	}
	cp.admin = filepath.Join(o.workDir, "admin.kubeconfig")
	stages := filepath.Join(o.workDir, "kwok-stages.yaml")
	if err := os.WriteFile(stages, stagesYAML, 0o600); err != nil {
		return cp, err
	}
	kc := func(u string) string { return "--kubeconfig=" + filepath.Join(o.workDir, u+".kubeconfig") }
	cp.others = []*component{
		newComponent(o.binDir, logs, "kube-controller-manager", "kube-controller-manager", []string{
			kc("controller-manager"),
			"--authentication-kubeconfig=" + filepath.Join(o.workDir, "controller-manager.kubeconfig"),
			"--authorization-kubeconfig=" + filepath.Join(o.workDir, "controller-manager.kubeconfig"),
			"--bind-address=127.0.0.1",
			fmt.Sprintf("--secure-port=%d", ports[3]),
			"--leader-elect=false",
			"--use-service-account-credentials=true",
			"--root-ca-file=" + p.certFile("ca"),
			"--service-account-private-key-file=" + p.keyFile("service-account"),
			"--controllers=*,-nodeipam,-cloud-node-lifecycle,-service-lb-controller,-node-route-controller,-persistentvolume-attach-detach-controller",
			"--kube-api-qps=1000",
			"--kube-api-burst=1000",
			"--concurrent-deployment-syncs=10",
			"--concurrent-replicaset-syncs=10",
		}),
		newComponent(o.binDir, logs, "kube-scheduler", "kube-scheduler", []string{
			kc("scheduler"),
			"--authentication-kubeconfig=" + filepath.Join(o.workDir, "scheduler.kubeconfig"),
			"--authorization-kubeconfig=" + filepath.Join(o.workDir, "scheduler.kubeconfig"),
			"--bind-address=127.0.0.1",
			"--secure-port=0",
			"--leader-elect=false",
			"--kube-api-qps=1000",
			"--kube-api-burst=1000",
		}),
		newComponent(o.binDir, logs, "kwok", "kwok", []string{
			kc("kwok"),
			"--config=" + stages,
			"--manage-all-nodes=false",
			"--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
			"--node-lease-duration-seconds=40",
			"--cidr=10.244.0.0/16",
			"--node-ip=10.0.1.10",
		}),
	}
	for _, c := range cp.others {
		if err := c.start(); err != nil {
			return cp, err
		}
	}
	if err := cp.registerNodes(ctx); err != nil {
		return cp, err
	}
	for _, f := range o.fixtures {
		if err := cp.applyFixture(ctx, f); err != nil {
			return cp, err
		}
	}
	text, err := os.ReadFile(cp.admin)
	if err != nil {
		return cp, err
	}
	return cp, writeFileAtomic(o.kubeconfigOut, text)
}

// startAPIServer starts kube-apiserver and waits until /readyz answers 200.
func (cp *controlPlane) startAPIServer(ctx context.Context) error {
	if cp.apiserver.running() {
		return fmt.Errorf("kube-apiserver is already running")
	}
	if err := cp.apiserver.start(); err != nil {
		return err
	}
	if cp.readyCheck == nil {
		caPEM, err := os.ReadFile(cp.pki.certFile("ca"))
		if err != nil {
			return err
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(caPEM)
		cert, err := tls.LoadX509KeyPair(cp.pki.certFile("admin"), cp.pki.keyFile("admin"))
		if err != nil {
			return err
		}
		cp.readyCheck = &http.Client{
			Timeout:   2 * time.Second,
			Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}}},
		}
	}
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if !cp.apiserver.running() {
			return fmt.Errorf("kube-apiserver exited:\n%s", cp.apiserver.logTail(30))
		}
		resp, err := cp.readyCheck.Get(cp.server + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("kube-apiserver was not ready within 2 minutes:\n%s", cp.apiserver.logTail(30))
}

// kubectl runs the control plane's kubectl as the admin and returns its combined output.
func (cp *controlPlane) kubectl(ctx context.Context, stdin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(cp.o.binDir, "kubectl"), append([]string{"--kubeconfig=" + cp.admin}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+cp.o.workDir)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// registerNodes creates the fake nodes kwok manages and waits until they are Ready.
func (cp *controlPlane) registerNodes(ctx context.Context) error {
	var b strings.Builder
	// The runbook's m5.xlarge (as the simulator has it) by default; other sizes allocate all.
	cpu, allocCPU := fmt.Sprint(cp.o.nodeCPUs), fmt.Sprintf("%dm", cp.o.nodeCPUs*1000)
	mem := fmt.Sprintf("%dGi", cp.o.nodeMemoryGiB)
	allocMem := mem
	if cp.o.nodeCPUs == 4 {
		allocCPU = "3920m"
	}
	if cp.o.nodeMemoryGiB == 16 {
		mem, allocMem = "16393220Ki", "15242244Ki"
	}
	for i, name := range strings.Split(cp.o.nodes, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		fmt.Fprintf(&b, `---
apiVersion: v1
kind: Node
metadata:
  name: %s
  annotations:
    kwok.x-k8s.io/node: fake
    mcp-ops.test/internal-ip: "10.0.1.%d"
    mcp-ops.test/max-pods: "%d"
    mcp-ops.test/cpu: "%s"
    mcp-ops.test/allocatable-cpu: "%s"
    mcp-ops.test/memory: "%s"
    mcp-ops.test/allocatable-memory: "%s"
  labels:
    kubernetes.io/hostname: %s
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    node.kubernetes.io/instance-type: m5.xlarge
    type: kwok
`, name, 11+i, cp.o.maxPods, cpu, allocCPU, mem, allocMem, name)
	}
	if _, err := cp.kubectl(ctx, b.String(), "apply", "-f", "-"); err != nil {
		return err
	}
	if _, err := cp.kubectl(ctx, "", "wait", "--for=condition=Ready", "node", "--all", "--timeout=120s"); err != nil {
		return fmt.Errorf("%w\nkwok log:\n%s", err, cp.others[2].logTail(20))
	}
	return nil
}

// applyFixture applies a manifest and waits until the pods of its namespaces are Ready.
func (cp *controlPlane) applyFixture(ctx context.Context, path string) error {
	// The ServiceAccount admission plugin refuses pods until a namespace's "default"
	// ServiceAccount exists; the controllers retry on their own, the apply does not need to.
	if _, err := cp.kubectl(ctx, "", "apply", "-f", path); err != nil {
		return err
	}
	out, err := cp.kubectl(ctx, "", "get", "-f", path, "-o", "jsonpath={range .items[*]}{.metadata.namespace}{\"\\n\"}{end}")
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, ns := range strings.Fields(out) {
		if seen[ns] {
			continue
		}
		seen[ns] = true
		if _, err := cp.kubectl(ctx, "", "wait", "--for=condition=Available", "deployment", "--all", "-n", ns, "--timeout=180s"); err != nil {
			return err
		}
		if _, err := cp.kubectl(ctx, "", "wait", "--for=condition=Ready", "pod", "--all", "-n", ns, "--timeout=180s"); err != nil {
			return err
		}
	}
	return nil
}

// stop stops every component, the API server last but one and etcd last.
func (cp *controlPlane) stop() {
	for i := len(cp.others) - 1; i >= 0; i-- {
		cp.others[i].stop(syscall.SIGTERM, 3*time.Second)
	}
	if cp.apiserver != nil {
		cp.apiserver.stop(syscall.SIGTERM, 5*time.Second)
	}
	if cp.etcd != nil {
		cp.etcd.Close()
	}
}
