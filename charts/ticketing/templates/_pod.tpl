{{/*
Pod pieces shared by every Deployment, Job and the test pod: security contexts, environment,
volumes. Secrets are never rendered here, only referenced by name.
*/}}

{{- define "ticketing.secretsPath" -}}/var/run/secrets/ticketing{{- end -}}

{{/* Pod-level security: non-root uid 10001 (the image's user), RuntimeDefault seccomp. */}}
{{- define "ticketing.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Container-level security: read-only root, no privilege escalation, no capabilities. */}}
{{- define "ticketing.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* The image, its pull policy. */}}
{{- define "ticketing.containerImage" -}}
image: {{ include "ticketing.image" . | quote }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
{{- end -}}

{{/* Pod spec fields shared by every pod of the release. */}}
{{- define "ticketing.podCommon" -}}
serviceAccountName: {{ include "ticketing.serviceAccountName" . }}
automountServiceAccountToken: false
enableServiceLinks: false
securityContext:
  {{- include "ticketing.podSecurityContext" . | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
Environment of a service or worker container: the ConfigMap, then the secret references.
dict "root" $ "service" DATABASE-SERVICE-OR-EMPTY "signer" BOOL "web" BOOL
*/}}
{{- define "ticketing.env" -}}
{{- $root := .root -}}
{{- $secrets := $root.Values.secrets -}}
{{- $path := include "ticketing.secretsPath" $root -}}
envFrom:
  - configMapRef:
      name: {{ include "ticketing.fullname" $root }}
env:
  {{- if .service }}
  - name: DATABASE_URL
    valueFrom:
      secretKeyRef:
        name: {{ $secrets.databases.name }}
        key: {{ .service }}
  {{- end }}
  - name: REDIS_URL
    valueFrom:
      secretKeyRef:
        name: {{ $secrets.redis.name }}
        key: {{ $secrets.redis.urlKey }}
  - name: NATS_URL
    valueFrom:
      secretKeyRef:
        name: {{ $secrets.nats.name }}
        key: {{ $secrets.nats.urlKey }}
  {{- if .web }}
  - name: SECRET_KEY_FILE
    value: {{ printf "%s/secret-key" $path }}
  {{- end }}
  {{- if eq (include "ticketing.jwtAlgorithm" $root) "HS256" }}
  - name: JWT_SECRET_FILE
    value: {{ printf "%s/jwt-secret" $path }}
  {{- else }}
  - name: JWT_PUBLIC_KEY_FILE
    value: {{ printf "%s/jwt-public.pem" $path }}
  {{- if .signer }}
  - name: JWT_PRIVATE_KEY_FILE
    value: {{ printf "%s/jwt-private.pem" $path }}
  {{- end }}
  {{- end }}
  {{- if eq .service "payments" }}
  - name: STRIPE_API_KEY_FILE
    value: {{ printf "%s/stripe-api-key" $path }}
  - name: STRIPE_WEBHOOK_SECRET_FILE
    value: {{ printf "%s/stripe-webhook-secret" $path }}
  {{- if $root.Values.stripeStandin.enabled }}
  - name: STRIPE_API_BASE
    value: {{ printf "http://%s" (include "ticketing.serviceName" (dict "root" $root "component" "stripe-standin")) | quote }}
  {{- else if $root.Values.stripe.apiBase }}
  - name: STRIPE_API_BASE
    value: {{ $root.Values.stripe.apiBase | quote }}
  {{- end }}
  {{- end }}
{{- end -}}

{{/* Volume mounts of a service or worker container. */}}
{{- define "ticketing.volumeMounts" -}}
volumeMounts:
  - name: tmp
    mountPath: /tmp
  - name: secrets
    mountPath: {{ include "ticketing.secretsPath" . }}
    readOnly: true
{{- end -}}

{{/*
Volumes of a service or worker pod: a writable /tmp, and the secret files this pod may read
(the private key only where it signs, the Stripe secrets only for payments, the session key
only for the web).
dict "root" $ "service" DATABASE-SERVICE-OR-EMPTY "signer" BOOL "web" BOOL
*/}}
{{- define "ticketing.volumes" -}}
{{- $root := .root -}}
{{- $secrets := $root.Values.secrets -}}
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: 64Mi
  - name: secrets
    projected:
      defaultMode: 0440
      sources:
        {{- if .web }}
        - secret:
            name: {{ $secrets.app.name }}
            items:
              - key: {{ $secrets.app.secretKeyKey }}
                path: secret-key
        {{- end }}
        - secret:
            name: {{ $secrets.jwt.name }}
            items:
              {{- if eq (include "ticketing.jwtAlgorithm" $root) "HS256" }}
              - key: {{ $secrets.jwt.secretKey }}
                path: jwt-secret
              {{- else }}
              - key: {{ $secrets.jwt.publicKeyKey }}
                path: jwt-public.pem
              {{- if .signer }}
              - key: {{ $secrets.jwt.privateKeyKey }}
                path: jwt-private.pem
              {{- end }}
              {{- end }}
        {{- if eq .service "payments" }}
        - secret:
            name: {{ $secrets.stripe.name }}
            items:
              - key: {{ $secrets.stripe.apiKeyKey }}
                path: stripe-api-key
              - key: {{ $secrets.stripe.webhookSecretKey }}
                path: stripe-webhook-secret
        {{- end }}
{{- end -}}

{{/* Pod template annotations: roll the pods when the configuration changes. */}}
{{- define "ticketing.podAnnotations" -}}
checksum/config: {{ include (print .root.Template.BasePath "/configmap.yaml") .root | sha256sum }}
{{- with .extra }}
{{ toYaml . }}
{{- end }}
{{- end -}}
