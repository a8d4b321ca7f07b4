// Command mcp-ops-control-plane starts a real Kubernetes control plane for mcp-ops's tests:
// an embedded etcd, kube-apiserver (client-certificate and service-account authentication,
// the RBAC authorizer), kube-controller-manager, kube-scheduler and kwok (pods on fake nodes
// become Running and Ready without a container runtime), all on free loopback ports in a
// temporary directory. It registers fake nodes, applies fixture manifests with kubectl, waits
// until their pods are ready, writes an admin kubeconfig and prints "ready PATH". It stops
// every component and removes the kubeconfig and its directory on SIGINT or SIGTERM and, with
// --stdin-control, when its standard input closes (so it dies with the test that started it).
//
// With --stdin-control it also takes one command a line on standard input and answers
// "ok COMMAND" or "error COMMAND: WHY" on standard output:
//
//	stop apiserver | start apiserver | restart apiserver
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

type options struct {
	binDir        string
	kubeconfigOut string
	workDir       string
	fixtures      multiFlag
	nodes         string
	maxPods       int
	nodeCPUs      int
	nodeMemoryGiB int
	stdinControl  bool
	keep          bool
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	var o options
	self, _ := os.Executable()
	flag.StringVar(&o.binDir, "bin-dir", filepath.Dir(self), "directory holding kube-apiserver, kube-controller-manager, kube-scheduler, kubectl and kwok")
	flag.StringVar(&o.kubeconfigOut, "kubeconfig-out", "", "where to write the admin kubeconfig (required; removed at exit)")
	flag.StringVar(&o.workDir, "work-dir", "", "directory for certificates, etcd data and logs (default: a new temporary directory, removed at exit)")
	flag.Var(&o.fixtures, "fixture", "manifest applied with kubectl once the nodes are ready (repeatable)")
	flag.StringVar(&o.nodes, "nodes", "ip-10-0-1-11,ip-10-0-1-12,ip-10-0-1-13", "names of the fake nodes to register (comma-separated)")
	flag.IntVar(&o.maxPods, "max-pods", 110, "pod capacity of each fake node")
	flag.IntVar(&o.nodeCPUs, "node-cpus", 4, "CPUs of each fake node (4: the runbook's m5.xlarge, 3920m allocatable)")
	flag.IntVar(&o.nodeMemoryGiB, "node-memory-gib", 16, "memory of each fake node in GiB (16: the runbook's m5.xlarge)")
	flag.BoolVar(&o.stdinControl, "stdin-control", false, "take commands on standard input and stop when it closes")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directory at exit (for debugging)")
	flag.Parse()
	if o.kubeconfigOut == "" {
		fmt.Fprintln(os.Stderr, "mcp-ops-control-plane: --kubeconfig-out FILE is required")
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintf(os.Stderr, "mcp-ops-control-plane: %v\n", err)
		os.Exit(1)
	}
}

func run(o options) error {
	out, err := filepath.Abs(o.kubeconfigOut)
	if err != nil {
		return err
	}
	o.kubeconfigOut = out
	ownDir := o.workDir == ""
	if ownDir {
		o.workDir, err = os.MkdirTemp("", "mcp-ops-control-plane-")
		if err != nil {
			return err
		}
	}
	if err := os.MkdirAll(o.workDir, 0o700); err != nil {
		return err
	}
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)

	started := time.Now()
	cp, err := startControlPlane(o)
	cleanup := func() {
		if cp != nil {
			cp.stop()
		}
		_ = os.Remove(o.kubeconfigOut)
		if ownDir && !o.keep {
			_ = os.RemoveAll(o.workDir)
		}
	}
	if err != nil {
		cleanup()
		return err
	}
	fmt.Fprintf(os.Stderr, "mcp-ops-control-plane: ready in %.1fs (kube-apiserver %s, work dir %s)\n", time.Since(started).Seconds(), cp.server, o.workDir)
	fmt.Printf("ready %s\n", o.kubeconfigOut)

	commands := make(chan string)
	stdinClosed := make(chan struct{})
	if o.stdinControl {
		go func() {
			scanner := bufio.NewScanner(os.Stdin)
			for scanner.Scan() {
				commands <- strings.TrimSpace(scanner.Text())
			}
			close(stdinClosed)
		}()
	}
	for {
		select {
		case sig := <-signals:
			fmt.Fprintf(os.Stderr, "mcp-ops-control-plane: %v, stopping\n", sig)
			cleanup()
			return nil
		case <-stdinClosed:
			cleanup()
			return nil
		case c := <-commands:
			if c == "" {
				continue
			}
			if err := cp.command(c); err != nil {
				fmt.Printf("error %s: %v\n", c, err)
			} else {
				fmt.Printf("ok %s\n", c)
			}
		}
	}
}

// command carries out one control command.
func (cp *controlPlane) command(c string) error {
	switch c {
	case "stop apiserver":
		cp.apiserver.stop(syscall.SIGKILL, time.Second)
		return nil
	case "start apiserver":
		return cp.startAPIServer(context.Background())
	case "restart apiserver":
		cp.apiserver.stop(syscall.SIGKILL, time.Second)
		return cp.startAPIServer(context.Background())
	default:
		return fmt.Errorf("unknown command (stop|start|restart apiserver)")
	}
}
