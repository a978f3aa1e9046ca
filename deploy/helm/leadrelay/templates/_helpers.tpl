{{/* Names and the topology the chart needs (tests/integration/test_helm_chart.py holds it equal to shared/topology.py). */}}
{{- define "leadrelay.name" -}}leadrelay-{{ . }}{{- end -}}

{{- define "leadrelay.inputs" -}}
enrich: [lead.captured]
score: [lead.enriched, lead.activity]
route: [lead.scored]
notify: [lead.assigned, lead.acknowledged]
insights: [lead.captured, lead.enriched, lead.scored, lead.assigned, lead.nurture, lead.acknowledged, lead.notified]
outbound: [lead.captured, lead.scored, lead.assigned, lead.acknowledged, lead.nurture]
{{- end -}}

{{- define "leadrelay.public" -}}
capture: true
notify: true
route: true
insights: true
{{- end -}}

{{- define "leadrelay.image" -}}{{ .Values.image.repository }}:{{ .Values.image.tag }}{{- end -}}

{{- define "leadrelay.rulesConfigMap" -}}
{{- if .Values.rules.existingConfigMap -}}{{ .Values.rules.existingConfigMap }}{{- else -}}leadrelay-rules{{- end -}}
{{- end -}}

{{/* The Kafka principal of one service: its SASL credentials from the credentials Secret. */}}
{{- define "leadrelay.kafkaEnv" -}}
{{- $root := index . 0 -}}{{- $principal := index . 1 -}}
{{- if hasPrefix "SASL_" $root.Values.kafka.securityProtocol }}
- name: LEADRELAY_KAFKA_SASL_USERNAME
  valueFrom: {secretKeyRef: {name: {{ $root.Values.kafka.credentialsSecret }}, key: {{ $principal }}-username}}
- name: LEADRELAY_KAFKA_SASL_PASSWORD
  valueFrom: {secretKeyRef: {name: {{ $root.Values.kafka.credentialsSecret }}, key: {{ $principal }}-password}}
{{- end }}
{{- end -}}

{{- define "leadrelay.envFrom" -}}
- configMapRef: {name: leadrelay-settings}
- secretRef: {name: {{ .Values.secrets.existingSecret }}}
{{- end -}}

{{- define "leadrelay.volumeMounts" -}}
- {name: rules, mountPath: /etc/leadrelay, readOnly: true}
- {name: tmp, mountPath: /tmp}
{{- if .Values.kafka.caSecret }}
- {name: kafka-ca, mountPath: /etc/leadrelay-tls/kafka-ca, readOnly: true}
{{- end }}
{{- if .Values.kafka.clientCertSecret }}
- {name: kafka-client, mountPath: /etc/leadrelay-tls/kafka-client, readOnly: true}
{{- end }}
{{- if .Values.postgres.caSecret }}
- {name: postgres-ca, mountPath: /etc/leadrelay-tls/postgres-ca, readOnly: true}
{{- end }}
{{- end -}}

{{- define "leadrelay.volumes" -}}
- name: rules
  configMap: {name: {{ include "leadrelay.rulesConfigMap" . }}}
- name: tmp
  emptyDir: {}
{{- if .Values.kafka.caSecret }}
- name: kafka-ca
  secret: {secretName: {{ .Values.kafka.caSecret }}}
{{- end }}
{{- if .Values.kafka.clientCertSecret }}
- name: kafka-client
  secret: {secretName: {{ .Values.kafka.clientCertSecret }}}
{{- end }}
{{- if .Values.postgres.caSecret }}
- name: postgres-ca
  secret: {secretName: {{ .Values.postgres.caSecret }}}
{{- end }}
{{- end -}}
