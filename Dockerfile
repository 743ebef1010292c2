# The CacheSidecar image. Build it from the repository root:
#
#   docker build -t cachesidecar:dev .
#
# Two stages: the SDK stage restores, compiles (protos/ included) and publishes; the final stage
# holds only the ASP.NET Core runtime and the published app. No SDK, sources or tests ship.
# k8s/deployment.yaml runs it as a native sidecar; tests/manifests lints this file in CI
# (npm test there), because the CI machines have no Docker engine to build it.

# ------------------------------------------------------------------------------------------------
# Build stage
# ------------------------------------------------------------------------------------------------
# global.json asks for SDK 10.0.400 or a later feature band (rollForward: latestFeature); the
# floating sdk:10.0 tag ships the 10.0.4xx band. For reproducible builds pin a digest
# (sdk:10.0@sha256:...) and move it together with global.json.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src

# Restore first, from the files that decide the package graph and nothing else: the SDK pin,
# the shared build properties (src/'s add SourceLink), the central package versions and the two
# project files. This layer, with the NuGet packages it downloaded, is reused until one of them
# changes, so a code edit does not download packages again.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/Directory.Build.props src/Directory.Build.targets src/
COPY src/Contracts/Contracts.csproj src/Contracts/
COPY src/Sidecar/Sidecar.csproj src/Sidecar/
# linux-x64: the publish below compiles ReadyToRun, which needs the runtime-specific assets.
RUN dotnet restore src/Sidecar/Sidecar.csproj -r linux-x64

# Then the sources: the contract (src/Contracts compiles protos/ with Grpc.Tools) and the sidecar.
COPY protos/ protos/
COPY src/Contracts/ src/Contracts/
COPY src/Sidecar/ src/Sidecar/
# UseAppHost=false: the image starts `dotnet CacheSidecar.dll`, so the native launcher is dead weight.
# ReadyToRun: the sidecar and its packages ship precompiled, so start-up does not wait for the JIT
# (ready about 30% sooner in bench/ fastpath's start-to-ready; docs/benchmarks.md). Framework-
# dependent (--self-contained false): the runtime comes from the aspnet base image.
RUN dotnet publish src/Sidecar/Sidecar.csproj -c Release -r linux-x64 --self-contained false --no-restore \
    -o /app/publish -p:UseAppHost=false -p:PublishReadyToRun=true

# ------------------------------------------------------------------------------------------------
# Runtime stage: the only stage that ships
# ------------------------------------------------------------------------------------------------
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app

# Owned by root: the app user can read the binaries but not change them. The process writes
# nothing here (Kubernetes even mounts the root filesystem read-only, see k8s/deployment.yaml).
COPY --from=build /app/publish .

# The base image makes Kestrel listen on http://*:8080 (ASPNETCORE_HTTP_PORTS). Cleared, so the
# sidecar listens only on the three endpoints below, and never on all interfaces by accident.
ENV ASPNETCORE_HTTP_PORTS=

# The API endpoints stay on loopback: only containers of the same pod (the application) call them.
ENV Kestrel__Endpoints__Grpc__Url=http://127.0.0.1:50051
ENV Kestrel__Endpoints__Http__Url=http://127.0.0.1:8080

# Health and metrics listen on all interfaces: the kubelet probes the pod IP, and Prometheus
# scrapes it. This endpoint serves only GET /healthz, /readyz and /metrics.
ENV Kestrel__Endpoints__Health__Url=http://0.0.0.0:8081

# Namespace policies: an optional JSON file ({ "Sidecar": { "Namespaces": ... } }), loaded with
# reload-on-change. Kubernetes mounts a ConfigMap here. A ConfigMap update arrives as a swap of
# the volume's ..data symlink, which the event-based file watcher does not report as a change of
# this file: the polling watcher compares the file's timestamp instead.
ENV CACHESIDECAR_CONFIG_FILE=/etc/cachesidecar/cachesidecar.json
ENV DOTNET_USE_POLLING_FILE_WATCHER=true

# One JSON object per log line, for the cluster's log collector.
ENV Logging__Console__FormatterName=json

# On SIGTERM the host waits this long for the shutdown work, which includes write-behind flushing
# the entries it holds (docs/write-behind.md). Keep it below the pod's terminationGracePeriodSeconds.
ENV DOTNET_shutdownTimeoutSeconds=30
# Runtime knobs for a small resident set (decision 0020; the footprint bench's `combo-ws` row): a 4 MB gen0
# budget, GCConserveMemory, and TieredPGO off (less JIT-compiled code). GCgen0size has no runtimeconfig.json
# name, so all three are environment variables; src/Sidecar/Properties/launchSettings.json gives `dotnet run`
# the same, and the benches read them from here.
ENV DOTNET_GCgen0size=0x400000
ENV DOTNET_GCConserveMemory=5
ENV DOTNET_TieredPGO=0

# The embedded SQLite store is used only when no MongoDB is configured (a local try-out). /app is
# not writable by the app user, so its file goes to /tmp.
ENV Sidecar__Embedded__SqlitePath=/tmp/cachesidecar.db

# 50051: gRPC API (HTTP/2). Bound to 127.0.0.1, so only the pod's own containers reach it and no
# probe can: listed for documentation.
EXPOSE 50051
# 8080: HTTP/JSON API (gRPC JSON transcoding, HTTP/1.1). Also loopback-only; listed for documentation.
EXPOSE 8080
# 8081: /healthz, /readyz and /metrics, the only port bound to all interfaces (probes, Prometheus).
EXPOSE 8081

# The aspnet image's unprivileged `app` user, by its numeric id (APP_UID, 1654), so that
# Kubernetes' runAsNonRoot can verify it without a runAsUser.
USER $APP_UID

# No HEALTHCHECK: the image has no curl or wget to run one, and Kubernetes uses its own probes
# (httpGet on 8081, see k8s/deployment.yaml).
ENTRYPOINT ["dotnet", "CacheSidecar.dll"]
