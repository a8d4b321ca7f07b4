package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// component is one program of the control plane, run as a child process whose output goes
// to DIR/NAME.log. The child gets SIGKILL from the kernel if the launcher dies (Pdeathsig),
// so no component outlives it even when the launcher is killed with SIGKILL.
type component struct {
	name string
	bin  string
	args []string
	log  string
	cmd  *exec.Cmd
	done chan struct{}
}

func newComponent(binDir, logDir, name, program string, args []string) *component {
	return &component{
		name: name,
		bin:  filepath.Join(binDir, program),
		args: args,
		log:  filepath.Join(logDir, name+".log"),
	}
}

// start runs the program once; a component that was stopped can be started again.
func (c *component) start() error {
	out, err := os.OpenFile(c.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(c.bin, c.args...)
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		out.Close()
		return fmt.Errorf("starting %s: %w", c.name, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		out.Close()
		close(done)
	}()
	c.cmd = cmd
	c.done = done
	return nil
}

// running says whether the process has been started and has not exited.
func (c *component) running() bool {
	if c.cmd == nil {
		return false
	}
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

// stop sends sig, waits up to grace, then kills the process group.
func (c *component) stop(sig syscall.Signal, grace time.Duration) {
	if c.cmd == nil || c.cmd.Process == nil {
		return
	}
	_ = c.cmd.Process.Signal(sig)
	select {
	case <-c.done:
	case <-time.After(grace):
		_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
		<-c.done
	}
	c.cmd = nil
}

// logTail returns the last lines of the component's log, for error messages.
func (c *component) logTail(lines int) string {
	b, err := os.ReadFile(c.log)
	if err != nil {
		return ""
	}
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}
