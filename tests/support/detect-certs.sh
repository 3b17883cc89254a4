#!/bin/bash
# A test CA and leaf certificates signed by it, for the account-detection test bed.
#
#   detect-certs.sh DIR NAME=DNS:host1,DNS:host2 [NAME=...]
#
# Writes DIR/ca.crt + DIR/ca.key, and for each NAME: DIR/NAME.crt + DIR/NAME.key, a server
# certificate whose subjectAltName is the given list (CN = the first host). Needs openssl.
set -euo pipefail
DIR=${1:?usage: $0 DIR NAME=SAN,... }; shift
mkdir -p "$DIR"; cd "$DIR"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.crt -days 3650 \
  -subj "/CN=Mailroom Detect Test CA" -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
for spec in "$@"; do
  name=${spec%%=*}; sans=${spec#*=}
  first=${sans%%,*}; first=${first#DNS:}
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$name.key" -out "$name.csr" -subj "/CN=$first" 2>/dev/null
  printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=serverAuth" "subjectAltName=$sans" > "$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$name.crt" \
    -days 825 -sha256 -extfile "$name.ext" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
done
chmod 600 ./*.key
