#!/usr/bin/env bash
# Installs one pinned version of the Pulumi CLI and verifies it before it runs.
#
#   PULUMI_VERSION      the version (required), e.g. 3.248.0
#   PULUMI_CLI_SHA256   optional: the archive's SHA-256 as recorded by the team; when set it must
#                       match as well (a second, independent pin)
#   PULUMI_RELEASES     where releases are downloaded from
#                       (default https://get.pulumi.com/releases/sdk, the address Pulumi's own
#                       version list gives for each release's archive and its checksums file)
#   INSTALL_DIR         where bin/ goes (default $HOME/.pulumi-cli); printed on stdout
#
# The archive's SHA-256 must equal the line for it in the release's published
# `pulumi-<version>-checksums.txt`; a mismatch, a missing line or a wrong `pulumi version` stops
# here with exit 1, before the CLI has run once.
set -euo pipefail

version="${PULUMI_VERSION:?PULUMI_VERSION must be set, e.g. 3.248.0}"
version="${version#v}"
releases="${PULUMI_RELEASES:-https://get.pulumi.com/releases/sdk}"
dir="${INSTALL_DIR:-$HOME/.pulumi-cli}"
case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "unsupported machine: $(uname -m)" >&2; exit 1 ;;
esac
archive="pulumi-v${version}-linux-${arch}.tar.gz"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

curl -fsSL --retry 3 -o "$work/$archive" "$releases/$archive"
curl -fsSL --retry 3 -o "$work/checksums.txt" "$releases/pulumi-${version}-checksums.txt"

expected="$(awk -v f="$archive" '$2 == f || $2 == "*" f { print $1 }' "$work/checksums.txt")"
actual="$(sha256sum "$work/$archive" | awk '{ print $1 }')"
if [ -z "$expected" ]; then
  echo "::error::$archive is not listed in pulumi-${version}-checksums.txt" >&2
  exit 1
fi
if [ "$actual" != "$expected" ]; then
  echo "::error::$archive: SHA-256 $actual does not match the published $expected" >&2
  exit 1
fi
if [ -n "${PULUMI_CLI_SHA256:-}" ] && [ "$actual" != "$PULUMI_CLI_SHA256" ]; then
  echo "::error::$archive: SHA-256 $actual does not match PULUMI_CLI_SHA256 $PULUMI_CLI_SHA256" >&2
  exit 1
fi

mkdir -p "$dir"
tar -xzf "$work/$archive" -C "$work"
rm -rf "$dir/bin"
mv "$work/pulumi" "$dir/bin"
reported="$("$dir/bin/pulumi" version)"
if [ "${reported#v}" != "$version" ]; then
  echo "::error::the installed CLI reports $reported, expected v$version" >&2
  rm -rf "$dir/bin"
  exit 1
fi
echo "$dir/bin"
