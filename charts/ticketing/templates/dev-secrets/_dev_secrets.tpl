{{/*
Development secrets (secrets.create, never in production). Each is a pre-install/pre-upgrade
hook, because the migration Jobs (hooks too) read them, and keeps the values it had: `lookup`
reads the live Secret (it finds nothing under `helm template`, which then shows fresh values).
*/}}

{{/* Metadata of a generated Secret: dict "root" $ "name" NAME */}}
{{- define "ticketing.devSecretMetadata" -}}
metadata:
  name: {{ .name }}
  labels:
    {{- include "ticketing.labels" (dict "root" .root "component" "dev-secrets") | nindent 4 }}
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
    helm.sh/hook-weight: "-20"
    helm.sh/hook-delete-policy: before-hook-creation
{{- end -}}

{{/* A value of the live Secret NAME under KEY (base64), or "": dict "root" $ "name" N "key" K */}}
{{- define "ticketing.devSecretExisting" -}}
{{- $secret := lookup "v1" "Secret" .root.Release.Namespace .name -}}
{{- if and $secret $secret.data (hasKey $secret.data .key) -}}
{{- index $secret.data .key -}}
{{- end -}}
{{- end -}}

{{/* `data:` of KEY -> the live value, else the fresh one: dict "root" $ "name" N "fresh" DICT */}}
{{- define "ticketing.devSecretData" -}}
{{- $root := .root -}}
{{- $name := .name -}}
data:
{{- range $key, $fresh := .fresh }}
  {{- $existing := include "ticketing.devSecretExisting" (dict "root" $root "name" $name "key" $key) }}
  {{ $key }}: {{ default ($fresh | b64enc) $existing | quote }}
{{- end }}
{{- end -}}
