{{/* Full name: the release name, with the chart name appended unless the release name already holds it. */}}
{{- define "poolfleet.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Labels that select the operator's pods: stable for the Deployment's life (its selector is immutable). The name is
fixed, whatever nameOverride says: the NetworkPolicies the operator writes admit pods labelled
app.kubernetes.io/name=poolfleet-operator in the operator's namespace to the nodes' metrics port and API port
(src/operator/controllers/index.ts).
*/}}
{{- define "poolfleet.selectorLabels" -}}
app.kubernetes.io/name: poolfleet-operator
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{/* Labels on every object the chart makes. */}}
{{- define "poolfleet.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "poolfleet.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: poolfleet
{{- end }}

{{- define "poolfleet.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "poolfleet.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "poolfleet.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
The rules the operator needs in every namespace it reconciles, as a ClusterRole (all namespaces) or a Role in
each watched namespace. README.md says what each rule is for. No rule grants list or watch on Secrets, any access to
RBAC objects beyond the KES Jobs' RoleBindings, or pods/exec, pods/attach, pods/portforward.
*/}}
{{- define "poolfleet.operatorRules" -}}
# The kinds it reconciles: read and watch them; patch adds and removes its finalizer (metadata only, never spec).
- apiGroups: ["poolfleet.io"]
  resources: ["stakepools", "kesrotations", "multikeygroups"]
  verbs: ["get", "list", "watch", "patch"]
# A StakePool that asks for relays by count gets a Relay the operator creates and owns.
- apiGroups: ["poolfleet.io"]
  resources: ["relays"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
# Status is written with server-side apply on the status subresource.
- apiGroups: ["poolfleet.io"]
  resources: ["stakepools/status", "relays/status", "kesrotations/status", "multikeygroups/status"]
  verbs: ["patch"]
# Owned objects carry blockOwnerDeletion owner references; where the OwnerReferencesPermissionEnforcement admission
# plugin is on, setting one needs update on the owner's finalizers subresource.
- apiGroups: ["poolfleet.io"]
  resources: ["stakepools/finalizers", "relays/finalizers", "kesrotations/finalizers", "multikeygroups/finalizers"]
  verbs: ["update"]
# The objects it derives from a pool, written with server-side apply (create + patch), watched for drift, and
# deleted when no longer wanted.
- apiGroups: ["apps"]
  resources: ["statefulsets"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: [""]
  resources: ["services", "configmaps"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["policy"]
  resources: ["poddisruptionbudgets"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["networking.k8s.io"]
  resources: ["networkpolicies"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
# Jobs: a KesRotation's staging Job (generates the new KES key in its pod) and Auto signing Job (signs with the
# mounted cold key), so that neither key is ever in the operator's memory.
- apiGroups: ["batch"]
  resources: ["jobs"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
# Those Jobs' identity: one ServiceAccount per KesRotation, bound by a RoleBinding in its namespace to the
# <release>-kes-job ClusterRole (create Secrets only). bind is granted on that one ClusterRole by name, so the
# operator cannot bind any other role it does not already hold in full (the API server's escalation check).
- apiGroups: [""]
  resources: ["serviceaccounts"]
  verbs: ["get", "create", "patch"]
- apiGroups: ["rbac.authorization.k8s.io"]
  resources: ["rolebindings"]
  verbs: ["get", "create", "patch"]
# A MultikeyGroup producer's identity: its ServiceAccount (above), a Role allowing only get/create/update on Leases
# in the group's namespace (the node's per-pool fence), and the RoleBinding. The API server lets the operator write
# a Role or bind it only if the operator holds every right it grants, hence the Lease verbs below; no list, watch,
# patch or delete on Leases, and no escalate or bind on Roles.
- apiGroups: ["rbac.authorization.k8s.io"]
  resources: ["roles"]
  verbs: ["get", "create", "patch"]
- apiGroups: ["coordination.k8s.io"]
  resources: ["leases"]
  verbs: ["get", "create", "update"]
- apiGroups: ["rbac.authorization.k8s.io"]
  resources: ["clusterroles"]
  verbs: ["bind"]
  resourceNames: [{{ printf "%s-kes-job" (include "poolfleet.fullname" .) | quote }}]
# Pods: read only, for readiness and the node's tip in status. No exec, attach, port-forward or logs.
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list", "watch"]
# Secrets: get by name only (the key Secret a StakePool names, for the consistency gate; a KesRotation's staged
# KES key, signed certificate and webhook Secrets; never the Auto cold key, which only the signing Job mounts).
# create, patch, delete: the immutable key-revision Secrets, a MultikeyGroup's bundle Secret (copies of its pools'
# gated revisions, which its producer mounts), and deleting a finished rotation's staged key; patch: the pool's key
# Secret when a rotated set has passed the gate. No list or watch: it cannot enumerate or
# stream Secrets.
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "create", "patch", "delete"]
# Events for people (events.k8s.io/v1): created, then patched to count repeats.
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end }}

{{/* The watched namespaces as a comma-separated list (POOLFLEET_NAMESPACE). */}}
{{- define "poolfleet.watchNamespaces" -}}
{{- join "," .Values.watchNamespaces }}
{{- end }}
