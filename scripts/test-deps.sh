#!/usr/bin/env bash
# Installs the programs the end-to-end tests run as workloads and probes, when missing,
# with apt-get (Debian/Ubuntu), and says what it installs. Part of `npm test`, so the
# README's test command passes on a fresh machine with no other step.
set -euo pipefail
need=()
for tool in strace:strace setpriv:util-linux unshare:util-linux taskset:util-linux script:bsdutils \
            python3:python3 cc:gcc tmux:tmux systemd-analyze:systemd zsh:zsh fish:fish \
            groff:groff-base ldd:libc-bin ss:iproute2; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || need+=("${tool##*:}")
done
# The tests run python3 as other users too: root's own interpreter (pyenv) is not theirs.
[ -x /usr/bin/python3 ] || need+=(python3)
# cc alone is not enough: gcc only recommends the C library's headers, and the load
# generator and the storm test's reference reader need them and the kernel's.
[ -e /usr/include/stdio.h ] || need+=(libc6-dev)
[ -e /usr/include/linux/cn_proc.h ] || need+=(linux-libc-dev)
[ ${#need[@]} -eq 0 ] && exit 0
pkgs=$(printf '%s\n' "${need[@]}" | sort -u | tr '\n' ' ')
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "test-deps: the end-to-end tests need: ${pkgs}(install them, or run 'npm test' as root on Debian)" >&2
  exit 1
fi
echo "test-deps: installing ${pkgs}with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends ${pkgs} >/dev/null
