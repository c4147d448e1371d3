# Sourced by bin/*: run_module MODULE MAIN_CLASS DEFAULT_HEAP ARGS... runs MAIN_CLASS from MODULE's jar and its
# target/lib, (re)building them when missing or older than any main source of the repository.
# LOG_LEVEL (default warn) sets the log level; JAVA_OPTS replaces the default heap.
run_module() {
  local module=$1 main=$2 heap=$3; shift 3
  local root; root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  local version; version=$(sed -n 's:^  <version>\(.*\)</version>$:\1:p' "$root/pom.xml" | head -n 1)
  local jar="$root/$module/target/$module-$version.jar" stale=""
  [ -f "$jar" ] && stale=$(find "$root" -path '*/src/main/*' -newer "$jar" -type f -print -quit 2>/dev/null || true)
  if [ ! -f "$jar" ] || [ ! -d "$root/$module/target/lib" ] || [ -n "$stale" ]; then
    echo "building $module ..." >&2
    (cd "$root" && mvn -q -B -DskipTests package -pl "$module" -am) >&2
    touch "$jar"
  fi
  exec java ${JAVA_OPTS:-$heap} --add-modules jdk.incubator.vector -Dai.djl.offline=true \
    -Dorg.slf4j.simpleLogger.defaultLogLevel="${LOG_LEVEL:-warn}" -Dorg.slf4j.simpleLogger.log.ai.djl.util.cuda=error \
    -Dorg.slf4j.simpleLogger.log.ai.djl.onnxruntime.engine.OrtEngine=error \
    -cp "$jar:$root/$module/target/lib/*" "$main" "$@"
}
