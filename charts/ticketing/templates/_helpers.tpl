{{/*
Names, labels and the pieces every pod shares. Resource templates call these; they hold no logic
of their own beyond picking values.
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "ticketing.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
The full name prefix of every resource: RELEASE-NAME, or RELEASE when it already contains the
chart name, or fullnameOverride. Truncated to leave room for the longest suffix
("-expiration-scheduler", 21 characters) within the 63 characters of a DNS label.
*/}}
{{- define "ticketing.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 42 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 42 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 42 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* NAME-VERSION of the chart, for the helm.sh/chart label. */}}
{{- define "ticketing.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Selector labels of one component: dict "root" $ "component" NAME. */}}
{{- define "ticketing.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ticketing.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Every label of one component: dict "root" $ "component" NAME. */}}
{{- define "ticketing.labels" -}}
{{ include "ticketing.selectorLabels" . }}
app.kubernetes.io/part-of: ticketing
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ include "ticketing.chart" .root }}
{{- end -}}

{{/* Labels of resources that belong to no single component (ConfigMap, ServiceAccount). */}}
{{- define "ticketing.commonLabels" -}}
app.kubernetes.io/name: {{ include "ticketing.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: ticketing
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ include "ticketing.chart" . }}
{{- end -}}

{{/* What selects every pod of this release (not the dependencies' pods). */}}
{{- define "ticketing.releaseSelector" -}}
app.kubernetes.io/name: {{ include "ticketing.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* The image reference: repository@digest, or repository:tag (default appVersion). */}}
{{- define "ticketing.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "ticketing.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "ticketing.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Kubernetes Service of an HTTP component: dict "root" $ "component" NAME. */}}
{{- define "ticketing.serviceName" -}}
{{- printf "%s-%s" (include "ticketing.fullname" .root) .component -}}
{{- end -}}

{{/* JWT_ALGORITHM: generated development secrets are HS256 (Helm cannot derive a public key). */}}
{{- define "ticketing.jwtAlgorithm" -}}
{{- if .Values.secrets.create -}}HS256{{- else -}}{{ .Values.config.jwt.algorithm }}{{- end -}}
{{- end -}}

{{/* Refuse combinations that are never right; the schema catches the simple ones too. */}}
{{- define "ticketing.validate" -}}
{{- if .Values.global.production -}}
{{- if .Values.secrets.create -}}
{{- fail "secrets.create generates development secrets: it is refused when global.production is true" -}}
{{- end -}}
{{- if .Values.stripeStandin.enabled -}}
{{- fail "stripeStandin.enabled is for development: it is refused when global.production is true" -}}
{{- end -}}
{{- if not .Values.config.jwt.cookieSecure -}}
{{- fail "config.jwt.cookieSecure must be true when global.production is true (the services refuse to start)" -}}
{{- end -}}
{{- end -}}
{{- if and .Values.ingress.tls.enabled (not .Values.ingress.tls.secretName) -}}
{{- fail "ingress.tls.enabled needs ingress.tls.secretName" -}}
{{- end -}}
{{- end -}}

{{/* The HTTP settings of one service: `http` merged with services.NAME. dict "root" $ "name" NAME */}}
{{- define "ticketing.httpSettings" -}}
{{- $overrides := index .root.Values.services .name | default dict -}}
{{- mustMergeOverwrite (deepCopy .root.Values.http) (deepCopy $overrides) | toYaml -}}
{{- end -}}

{{/* The settings of one worker: `worker` merged with workers.NAME. dict "root" $ "name" NAME */}}
{{- define "ticketing.workerSettings" -}}
{{- $overrides := index .root.Values.workers .name | default dict -}}
{{- mustMergeOverwrite (deepCopy .root.Values.worker) (deepCopy $overrides) | toYaml -}}
{{- end -}}

{{/* The names of the enabled API services (those behind an /api prefix, with a database). */}}
{{- define "ticketing.apiServices" -}}
{{- $names := list -}}
{{- range $name := list "auth" "tickets" "orders" "payments" "webhooks" -}}
{{- if (index $.Values.services $name).enabled -}}
{{- $names = append $names $name -}}
{{- end -}}
{{- end -}}
{{- toJson $names -}}
{{- end -}}

{{/* The component names of the enabled workers that work for SERVICE: dict "root" $ "service" S */}}
{{- define "ticketing.workersOf" -}}
{{- $names := list -}}
{{- range $name, $worker := .root.Values.workers -}}
{{- if and $worker.enabled (eq $worker.service $.service) -}}
{{- $names = append $names $name -}}
{{- end -}}
{{- end -}}
{{- toJson $names -}}
{{- end -}}

{{/* The URL prefix of each API service: the local gateway's routes (devstack/services.py). */}}
{{- define "ticketing.apiPrefixes" -}}
{{- toJson (dict "auth" "/api/users" "tickets" "/api/tickets" "orders" "/api/orders" "payments" "/api/payments" "webhooks" "/api/webhooks") -}}
{{- end -}}
