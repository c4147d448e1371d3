# Sourced by the run-*.sh scripts: paths, the module build, and writing a section into BENCHMARKS.md.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench_jar="$root/benchmarks/target/benchmarks-0.1.0-SNAPSHOT.jar"
bench_cp="$bench_jar:$root/benchmarks/target/lib/*"

# Builds the benchmarks module (and what it depends on) when its jar is missing or older than any main source.
build_benchmarks() {
  local stale=""
  [ -f "$bench_jar" ] && stale=$(find "$root" -path '*/src/main/*' -newer "$bench_jar" -type f -print -quit 2>/dev/null || true)
  if [ ! -f "$bench_jar" ] || [ ! -d "$root/benchmarks/target/lib" ] || [ -n "$stale" ]; then
    echo "building benchmarks ..." >&2
    (cd "$root" && mvn -q -B -DskipTests package -pl benchmarks -am) >&2
  fi
}

# One line: commit, CPU, nproc, memory, JDK, Python, date.
machine_line() {
  local cpu mem jdk
  cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
  mem=$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)
  jdk=$(java -version 2>&1 | head -1)
  echo "commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)'); $cpu; nproc $(nproc); memory $mem; $jdk; $(/usr/bin/python3 --version) with numpy $(/usr/bin/python3 -c 'import numpy; print(numpy.__version__)'); $(date '+%Y-%m-%d %H:%M %Z')"
}

# Load note: the 1-minute load average at the start, so runs on a busy machine say so.
load_note() {
  local load
  load=$(cut -d' ' -f1 /proc/loadavg)
  if awk -v l="$load" -v n="$(nproc)" 'BEGIN {exit !(l > 0.5 * n)}'; then
    echo "**Measured under load** (1-minute load average $load on $(nproc) cores at the start): figures are pessimistic."
  else
    echo "1-minute load average at the start: $load on $(nproc) cores."
  fi
}

# write_section FILE: replaces FILE's "## Title" section in BENCHMARKS.md.
write_section() {
  /usr/bin/python3 "$root/benchmarks/md_section.py" "${BENCHMARKS_MD:-$root/BENCHMARKS.md}" "$1"
}
