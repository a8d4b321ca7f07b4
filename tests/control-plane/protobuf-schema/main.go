// Command protobuf-schema writes mcp-ops-k8s/src/sim/http/protobuf/schema.txt: the protobuf schema of every kind the simulator decodes
// from protobuf request bodies, read by reflection from the Go API types that kubectl itself
// is built from. Besides field numbers and JSON names it records what protobuf alone does not
// say and the JSON form depends on: pointer or value, omitempty / omitzero, inline embedding,
// and the types with their own JSON form (Time, Quantity, IntOrString, ...).
//
// It is built with the control plane's go.mod, so it reads the release the control plane runs;
// scripts/test checks that schema.txt is what it writes. From tests/control-plane:
//
//	go run ./protobuf-schema > ../../mcp-ops-k8s/src/sim/http/protobuf/schema.txt
package main

import (
	"fmt"
	"os"
	"reflect"
	"runtime/debug"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// root is one kind accepted as a protobuf body; apiVersion "*" matches any group version
// (DeleteOptions is registered in every one).
type root struct {
	apiVersion, kind string
	value            any
}

var roots = []root{
	{"v1", "Namespace", corev1.Namespace{}},
	{"v1", "Node", corev1.Node{}},
	{"v1", "Pod", corev1.Pod{}},
	{"v1", "Service", corev1.Service{}},
	{"v1", "Endpoints", corev1.Endpoints{}},
	{"v1", "ConfigMap", corev1.ConfigMap{}},
	{"v1", "Secret", corev1.Secret{}},
	{"v1", "Event", corev1.Event{}},
	{"v1", "ServiceAccount", corev1.ServiceAccount{}},
	{"apps/v1", "Deployment", appsv1.Deployment{}},
	{"apps/v1", "ReplicaSet", appsv1.ReplicaSet{}},
	{"apps/v1", "StatefulSet", appsv1.StatefulSet{}},
	{"apps/v1", "ControllerRevision", appsv1.ControllerRevision{}},
	{"batch/v1", "Job", batchv1.Job{}},
	{"batch/v1", "CronJob", batchv1.CronJob{}},
	{"autoscaling/v1", "Scale", autoscalingv1.Scale{}},
	{"autoscaling/v1", "HorizontalPodAutoscaler", autoscalingv1.HorizontalPodAutoscaler{}},
	{"autoscaling/v2", "HorizontalPodAutoscaler", autoscalingv2.HorizontalPodAutoscaler{}},
	{"networking.k8s.io/v1", "Ingress", networkingv1.Ingress{}},
	{"networking.k8s.io/v1", "NetworkPolicy", networkingv1.NetworkPolicy{}},
	{"discovery.k8s.io/v1", "EndpointSlice", discoveryv1.EndpointSlice{}},
	{"authorization.k8s.io/v1", "SelfSubjectAccessReview", authorizationv1.SelfSubjectAccessReview{}},
	{"authorization.k8s.io/v1", "SelfSubjectRulesReview", authorizationv1.SelfSubjectRulesReview{}},
	{"authorization.k8s.io/v1", "SubjectAccessReview", authorizationv1.SubjectAccessReview{}},
	{"authorization.k8s.io/v1", "LocalSubjectAccessReview", authorizationv1.LocalSubjectAccessReview{}},
	{"authentication.k8s.io/v1", "SelfSubjectReview", authenticationv1.SelfSubjectReview{}},
	{"authentication.k8s.io/v1", "TokenReview", authenticationv1.TokenReview{}},
	{"*", "DeleteOptions", metav1.DeleteOptions{}},
}

// special types have their own protobuf message and their own JSON form.
var special = map[reflect.Type]string{
	reflect.TypeOf(metav1.Time{}):          "Time",
	reflect.TypeOf(metav1.MicroTime{}):     "MicroTime",
	reflect.TypeOf(metav1.Duration{}):      "Duration",
	reflect.TypeOf(metav1.FieldsV1{}):      "FieldsV1",
	reflect.TypeOf(resource.Quantity{}):    "Quantity",
	reflect.TypeOf(intstr.IntOrString{}):   "IntOrString",
	reflect.TypeOf(runtime.RawExtension{}): "RawExtension",
	// A user's extra attributes: a message of one repeated string, a JSON list of strings.
	reflect.TypeOf(authenticationv1.ExtraValue{}): "StringList",
	reflect.TypeOf(authorizationv1.ExtraValue{}):  "StringList",
}

var scalars = map[reflect.Kind]string{
	reflect.String:  "string",
	reflect.Bool:    "bool",
	reflect.Int32:   "int32",
	reflect.Int64:   "int64",
	reflect.Uint32:  "uint32",
	reflect.Uint64:  "uint64",
	reflect.Float32: "float",
	reflect.Float64: "double",
}

type generator struct {
	seen  map[string]bool
	queue []reflect.Type
	out   strings.Builder
}

func messageName(t reflect.Type) string {
	parts := strings.Split(t.PkgPath(), "/")
	if len(parts) < 2 {
		fail("type %v has no package path", t)
	}
	return parts[len(parts)-2] + "." + parts[len(parts)-1] + "." + t.Name()
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "gen: "+format+"\n", args...)
	os.Exit(1)
}

// typeName names a field's (element) type, queueing messages for output.
func (g *generator) typeName(t reflect.Type, where string) string {
	if s, ok := special[t]; ok {
		return s
	}
	if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
		return "bytes"
	}
	if s, ok := scalars[t.Kind()]; ok {
		return s
	}
	if t.Kind() == reflect.Struct {
		if _, ok := reflect.New(t).Interface().(interface{ MarshalJSON() ([]byte, error) }); ok {
			fail("%s: %v has its own JSON form and is not a known special type", where, t)
		}
		name := messageName(t)
		if !g.seen[name] {
			g.seen[name] = true
			g.queue = append(g.queue, t)
		}
		return name
	}
	fail("%s: unsupported type %v", where, t)
	return ""
}

func (g *generator) message(t reflect.Type) {
	fmt.Fprintf(&g.out, "M %s\n", messageName(t))
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		where := messageName(t) + "." + f.Name
		ptag, hasProto := f.Tag.Lookup("protobuf")
		jtag := f.Tag.Get("json")
		if jtag == "-" {
			continue
		}
		if !hasProto || ptag == "-" {
			if f.Type == reflect.TypeOf(metav1.TypeMeta{}) {
				continue
			}
			fail("%s has no protobuf tag", where)
		}
		pparts := strings.Split(ptag, ",")
		if len(pparts) < 3 {
			fail("%s: protobuf tag %q", where, ptag)
		}
		number := pparts[1]
		jparts := strings.Split(jtag, ",")
		name := jparts[0]
		flags := ""
		typ := f.Type
		if typ.Kind() == reflect.Pointer {
			flags += "p"
			typ = typ.Elem()
		}
		for _, opt := range jparts[1:] {
			switch opt {
			case "omitempty":
				flags += "o"
			case "omitzero":
				if special[typ] != "Time" && special[typ] != "MicroTime" && scalars[typ.Kind()] == "" {
					fail("%s: omitzero on %v is not handled", where, typ)
				}
				flags += "z"
			case "inline":
			default:
				fail("%s: json option %q", where, opt)
			}
		}
		if name == "" {
			if !f.Anonymous {
				name = f.Name
			} else {
				if typ.Kind() != reflect.Struct || strings.Contains(flags, "p") {
					fail("%s: embedded field of type %v", where, f.Type)
				}
				flags += "i"
				name = f.Name
			}
		}
		var elem string
		switch {
		case typ.Kind() == reflect.Slice && typ.Elem().Kind() != reflect.Uint8:
			flags += "l"
			if typ.Elem().Kind() == reflect.Pointer || typ.Elem().Kind() == reflect.Slice {
				fail("%s: list of %v", where, typ.Elem())
			}
			elem = g.typeName(typ.Elem(), where)
		case typ.Kind() == reflect.Map:
			flags += "m"
			if typ.Key().Kind() != reflect.String {
				fail("%s: map key %v", where, typ.Key())
			}
			_, isSpecial := special[typ.Elem()]
			if !isSpecial && (typ.Elem().Kind() == reflect.Pointer || (typ.Elem().Kind() == reflect.Slice && typ.Elem().Elem().Kind() != reflect.Uint8)) {
				fail("%s: map value %v", where, typ.Elem())
			}
			elem = g.typeName(typ.Elem(), where)
		default:
			elem = g.typeName(typ, where)
		}
		if flags == "" {
			flags = "-"
		}
		fmt.Fprintf(&g.out, "F %s %s %s %s\n", number, name, flags, elem)
	}
}

func moduleVersions() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		fail("no build info")
	}
	var v []string
	for _, d := range info.Deps {
		if d.Path == "k8s.io/api" || d.Path == "k8s.io/apimachinery" {
			v = append(v, d.Path+" "+d.Version)
		}
	}
	sort.Strings(v)
	return strings.Join(v, ", ")
}

func main() {
	g := &generator{seen: map[string]bool{}}
	fmt.Fprintf(&g.out, "# Generated by tests/control-plane/protobuf-schema from %s. Do not edit.\n", moduleVersions())
	g.out.WriteString(`# R <apiVersion> <kind> <message>     a kind accepted as a protobuf body (* = any apiVersion)
# M <message>                          a message; its fields follow
# F <number> <json name> <flags> <type>
#   flags: p pointer (emitted when sent), o omitempty, z omitzero, i inline (fields merged
#          into the parent), l list, m map with string keys (type = value type), - none
#   types: string bool int32 int64 uint32 uint64 float double bytes, the special types
#          Time MicroTime Duration FieldsV1 Quantity IntOrString RawExtension, or a message
`)
	for _, r := range roots {
		t := reflect.TypeOf(r.value)
		fmt.Fprintf(&g.out, "R %s %s %s\n", r.apiVersion, r.kind, g.typeName(t, r.kind))
	}
	for len(g.queue) > 0 {
		t := g.queue[0]
		g.queue = g.queue[1:]
		g.message(t)
	}
	fmt.Print(g.out.String())
}
