#!/usr/bin/env bash
# certs.sh DIR "CA name": a local CA and a server certificate for 127.0.0.1 and localhost, made once
# with openssl: DIR/ca.crt, DIR/ca.key, DIR/server.crt, DIR/server.key (PEM, keys unencrypted and
# mode 0600). Used by kafka.sh --secure, postgres.sh --tls and the TLS proxy test.
set -euo pipefail
dir=${1:?usage: certs.sh DIR "CA name"}
name=${2:-leadrelay local CA}
[ -f "$dir/server.crt" ] && exit 0
command -v openssl >/dev/null || { echo "certs.sh: openssl is required" >&2; exit 1; }
mkdir -p "$dir"
openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=$name" \
  -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' > "$dir/server.ext"
openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 825 \
  -extfile "$dir/server.ext" -out "$dir/server.crt" 2>/dev/null
chmod 600 "$dir/ca.key" "$dir/server.key"
