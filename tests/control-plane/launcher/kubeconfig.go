package main

import (
	"encoding/base64"
	"fmt"
	"os"
)

// kubeconfigText is a kubeconfig for one user of the control plane with every credential
// embedded, so that the file stands alone (tests copy it, kubectl and kube-rs read it).
func kubeconfigText(p *pki, server, stem, contextName string) (string, error) {
	read := func(path string) (string, error) {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", err
		}
		return base64.StdEncoding.EncodeToString(b), nil
	}
	ca, err := read(p.certFile("ca"))
	if err != nil {
		return "", err
	}
	crt, err := read(p.certFile(stem))
	if err != nil {
		return "", err
	}
	key, err := read(p.keyFile(stem))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: mcp-ops-control-plane
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: %s
  user:
    client-certificate-data: %s
    client-key-data: %s
contexts:
- name: %s
  context:
    cluster: mcp-ops-control-plane
    user: %s
current-context: %s
`, server, ca, stem, crt, key, contextName, stem, contextName), nil
}

// writeFileAtomic writes data to path through a temporary file and a rename (mode 0600), so
// a reader never sees half a file.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
