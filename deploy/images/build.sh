#!/usr/bin/env bash
# Builds the refusal-monitor container images with docker (when it answers) or podman:
#   refusal-monitor/monitor-service, refusal-monitor/probe-trainer, refusal-monitor/gateway, refusal-monitor/kafka
#   and, for the Compose stack, refusal-monitor/prometheus, refusal-monitor/alertmanager, refusal-monitor/vllm-standin.
# Each is tagged :<project version from pom.xml> and :latest.
#
# Usage: deploy/images/build.sh [options] [IMAGE ...]     (IMAGE: monitor-service probe-trainer gateway kafka
#                                                          prometheus alertmanager vllm-standin; default: all)
#   --skip-maven            use the jars already in <module>/target and <module>/target/lib (fails if missing)
#   --engine docker|podman  instead of the first that answers (also: $CONTAINER_ENGINE)
#   --base-image IMG        base of the Java images (also: $BASE_IMAGE). Default: the Dockerfiles' eclipse-temurin:17-jre,
#                           or localhost/debian:bookworm when that image exists (Debian's JRE 17 is then installed)
#   --debian-base-image IMG base of the Prometheus, Alertmanager and stand-in images (also: $DEBIAN_BASE_IMAGE).
#                           Default: debian:bookworm-slim, or localhost/debian:bookworm when that image exists
#   --no-cache              rebuild every layer
#   --list                  print the images and their sizes, build nothing
#
# The Maven step is `mvn -B -q -DskipTests package -pl monitor-service,probe-trainer,gateway-djl -am`; the Kafka
# image's class path comes from deploy/images/kafka/pom.xml (Maven Central). Build contexts are staged in
# deploy/images/.build/ (git-ignored) so that only the files an image needs are sent to the engine.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

all=(monitor-service probe-trainer gateway kafka prometheus alertmanager vllm-standin)
skip_maven=0
engine="${CONTAINER_ENGINE:-}"
base_image="${BASE_IMAGE:-}"
debian_base="${DEBIAN_BASE_IMAGE:-}"
no_cache=()
list_only=0
images=()
while [ $# -gt 0 ]; do
  case "$1" in
    --skip-maven) skip_maven=1 ;;
    --engine) engine="$2"; shift ;;
    --engine=*) engine="${1#*=}" ;;
    --base-image) base_image="$2"; shift ;;
    --base-image=*) base_image="${1#*=}" ;;
    --debian-base-image) debian_base="$2"; shift ;;
    --debian-base-image=*) debian_base="${1#*=}" ;;
    --no-cache) no_cache=(--no-cache) ;;
    --list) list_only=1 ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "build.sh: unknown option $1" >&2; exit 2 ;;
    *)
      case " ${all[*]} " in *" $1 "*) images+=("$1") ;; *) echo "build.sh: unknown image $1 (one of: ${all[*]})" >&2; exit 2 ;; esac
      ;;
  esac
  shift
done
[ ${#images[@]} -gt 0 ] || images=("${all[@]}")

if [ -z "$engine" ]; then
  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    engine=docker
  elif command -v podman >/dev/null 2>&1; then
    engine=podman
  else
    echo "build.sh: neither docker nor podman is available (on Debian here: bash ../shared/tools/container-engine.sh)" >&2
    exit 1
  fi
fi
net=()
# Podman's default build network cannot always reach the package mirrors here; the host's can. That includes the
# docker CLI talking to podman's Docker API (DOCKER_HOST=unix:///run/podman/podman.sock).
if [ "$engine" = podman ] \
   || { [ "$engine" = docker ] && docker version --format '{{range .Server.Components}}{{.Name}} {{end}}' 2>/dev/null | grep -q Podman; }; then
  net=(--network host)
fi

version="$(sed -n 's:^  <version>\(.*\)</version>.*:\1:p' pom.xml | head -n 1)"
[ -n "$version" ] || { echo "build.sh: cannot read the project version from pom.xml" >&2; exit 1; }

sizes() {
  "$engine" images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E "refusal-monitor/[a-z-]+:${version}( |$)" | sort || true
}
if [ $list_only = 1 ]; then sizes; exit 0; fi

if "$engine" image exists localhost/debian:bookworm >/dev/null 2>&1 \
   || { [ "$engine" = docker ] && docker image inspect localhost/debian:bookworm >/dev/null 2>&1; }; then
  [ -n "$base_image" ] || base_image=localhost/debian:bookworm
  [ -n "$debian_base" ] || debian_base=localhost/debian:bookworm
fi
[ -n "$debian_base" ] || debian_base=debian:bookworm-slim
java_base_args=()
[ -n "$base_image" ] && java_base_args=(--build-arg "BASE_IMAGE=$base_image")

needs_maven=0
for i in "${images[@]}"; do
  case "$i" in monitor-service|probe-trainer|gateway) needs_maven=1 ;; esac
done
if [ $needs_maven = 1 ] && [ $skip_maven = 0 ]; then
  echo "== mvn package (monitor-service, probe-trainer, gateway-djl)"
  mvn -B -q -DskipTests package -pl monitor-service,probe-trainer,gateway-djl -am
fi

stage="$here/.build"
mkdir -p "$stage"

# copy SRC... DEST: hard links when possible (same file system), else a copy.
copy() { cp -al "$@" 2>/dev/null || cp -a "$@"; }

stage_java() { # IMAGE MODULE
  local image="$1" module="$2" ctx="$stage/$1"
  local jar="$module/target/$module-$version.jar"
  if [ ! -f "$jar" ] || [ ! -d "$module/target/lib" ]; then
    echo "build.sh: $jar or $module/target/lib is missing: run without --skip-maven" >&2
    exit 1
  fi
  rm -rf "$ctx"
  mkdir -p "$ctx/app" "$ctx/bin"
  copy "$module/target/lib" "$ctx/lib"
  copy "$jar" "$ctx/app/"
  cp "$here/common/entrypoint.sh" "$here/common/http-get" "$ctx/bin/"
  cp "$here/$image/Dockerfile" "$ctx/Dockerfile"
}

stage_kafka() {
  local ctx="$stage/kafka"
  rm -rf "$ctx"
  mkdir -p "$ctx/libs" "$ctx/bin" "$ctx/config"
  echo "== Kafka 4.3.1 class path from Maven Central (deploy/images/kafka/pom.xml)"
  mvn -B -q -f "$here/kafka/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$ctx/libs"
  cp "$here/kafka/kafka-entrypoint.sh" "$here/kafka/kafka-tool" "$ctx/bin/"
  cp "$here/common/http-get" "$ctx/bin/"
  cp "$here/kafka/log4j2.properties" "$here/kafka/tools-log4j2.properties" "$ctx/config/"
  cp "$here/kafka/Dockerfile" "$ctx/Dockerfile"
}

stage_plain() { # IMAGE: the Dockerfile's folder as it is, plus what it copies from elsewhere
  local image="$1" ctx="$stage/$1"
  rm -rf "$ctx"
  mkdir -p "$ctx"
  cp -a "$here/$image/." "$ctx/"
  case "$image" in
    prometheus) mkdir -p "$ctx/prometheus"; cp -a deploy/prometheus/. "$ctx/prometheus/" ;;
  esac
}

build() { # IMAGE CONTEXT [build args...]
  local image="$1" ctx="$2"; shift 2
  local t0=$SECONDS
  echo "== $engine build refusal-monitor/$image:$version"
  if ! "$engine" build "${net[@]}" "${no_cache[@]}" --build-arg "VERSION=$version" "$@" \
      -t "refusal-monitor/$image:$version" -t "refusal-monitor/$image:latest" "$ctx"; then
    echo "build.sh: building refusal-monitor/$image failed" >&2
    exit 1
  fi
  echo "   built in $((SECONDS - t0)) s"
}

for image in "${images[@]}"; do
  case "$image" in
    monitor-service) stage_java monitor-service monitor-service; build "$image" "$stage/$image" "${java_base_args[@]}" ;;
    probe-trainer) stage_java probe-trainer probe-trainer; build "$image" "$stage/$image" "${java_base_args[@]}" ;;
    gateway) stage_java gateway gateway-djl; build "$image" "$stage/$image" "${java_base_args[@]}" ;;
    kafka) stage_kafka; build "$image" "$stage/$image" "${java_base_args[@]}" ;;
    prometheus|alertmanager|vllm-standin)
      stage_plain "$image"; build "$image" "$stage/$image" --build-arg "BASE_IMAGE=$debian_base" ;;
  esac
done

echo "== images ($engine)"
sizes
