# Rampart as a container: the NativeAOT binary (build/build.sh aot, the same script the tests and CI run) on
# Ubuntu's chiselled runtime-deps image (no shell, no package manager, non-root). Without the `gateway`, `server`
# and `threats` verbs, like every NativeAOT build (docs/install.md).
#
#   docker build -t rampart .
#   docker run --rm -v "$PWD:/work" -w /work rampart scan models/
#
# No container runtime exists where Rampart is developed; the recipe is kept in step with build/build.sh, which the
# tests exercise (tests/Rampart.Cli.Tests/Shipping).
FROM mcr.microsoft.com/dotnet/sdk:10.0-noble AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends clang zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN build/build.sh aot /out

FROM mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled
# SQLite (ledger, advisory database) and libsodium (signing) are native libraries beside the binary (docs/install.md).
COPY --from=build /out/rampart /out/libe_sqlite3.so /out/libsodium.so /usr/local/bin/
COPY --from=build /out/docs/rules /usr/local/bin/docs/rules
USER app
ENTRYPOINT ["/usr/local/bin/rampart"]
CMD ["--help"]
