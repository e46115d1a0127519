#!/usr/bin/env bash
# Builds Capstan, then runs the `capstan` executable with the given arguments. The build compiles `capstan`
# ahead of time (Native AOT), which needs a C compiler and linker: clang, or gcc, which this script installs
# (with libc6-dev) when neither is there.
#   ./capstan.sh up                 embedded server on http://127.0.0.1:8080, data in ./capstan-data
#   ./capstan.sh say --as bob "help"
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
if ! command -v clang >/dev/null && ! command -v gcc >/dev/null; then
  # shellcheck source=build/debian-packages.sh
  . "$here/build/debian-packages.sh"
  need_packages gcc libc6-dev
fi
# Build quietly; show the build's output only when it fails.
if ! log="$(dotnet build "$here/src/Capstan/Capstan.csproj" -c Release --nologo -v quiet -clp:ErrorsOnly 2>&1)"; then
  printf '%s\n' "$log" >&2
  exit 2
fi
exec "$here/src/Capstan/bin/Release/net10.0/capstan" "$@"
