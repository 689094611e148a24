#!/usr/bin/env bash
# LeakExt build entry point (Linux/macOS). Verbs: build, test, demo, bench, pack, native, windbg.
# build, demo and pack need only the .NET SDK (10.x); everything else comes from NuGet.
# test also builds the NativeAOT DbgEng extension where clang or gcc is installed, and the
# Windows IL build of it, so code that compiles only on Linux is caught here.
set -euo pipefail
cd "$(dirname "$0")"

verb="${1:-build}"
shift || true
configuration="${CONFIGURATION:-Release}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# The released dotnet-dump pinned in .config/dotnet-tools.json: the DebugServices adapter builds
# against it and the tests measure against it. Without the registry the build goes on without both.
restore_tools() {
  if ! dotnet tool restore >/dev/null 2>&1; then
    echo "note: 'dotnet tool restore' failed (no NuGet registry?): LeakExt.DotnetDump is not built and the dotnet-dump tests are skipped" >&2
  fi
}

build() {
  restore_tools
  dotnet build DbgLeakExt.sln -c "$configuration" -nologo -clp:NoSummary -v:minimal "$@"
}

host_rid() {
  dotnet --info | sed -n 's/^ *RID: *//p' | head -1
}

# Ahead-of-time compilation links with clang or gcc.
has_native_linker() {
  command -v clang >/dev/null || command -v gcc >/dev/null
}

# The standalone leakext compiled ahead of time for this machine, into $1.
publish_native() {
  dotnet publish src/LeakExt.Cli/LeakExt.Cli.csproj -c Release -r "$(host_rid)" -p:LeakExtNative=true -o "$1" -nologo -v:minimal
}

case "$verb" in
  build)
    build "$@"
    ;;
  test)
    build
    # What build.cmd windbg compiles before its native step, for Windows (IL only, no linker).
    dotnet build src/LeakExt.WinDbg/LeakExt.WinDbg.csproj -r win-x64 -c "$configuration" -nologo -clp:NoSummary -v:minimal
    dotnet test tests/LeakExt.Tests/LeakExt.Tests.csproj -c "$configuration" --no-build -nologo \
      --logger "console;verbosity=normal" "$@"
    ;;
  demo)
    build
    dotnet "src/LeakExt.Cli/bin/$configuration/net10.0/leakext.dll" demo --out "${DEMO_OUT:-artifacts/demo}" "$@"
    ;;
  bench)
    build
    # The benchmark times leakext as the tool package for this machine holds it (ReadyToRun) and,
    # where it can be linked, the standalone native leakext.
    dotnet publish src/LeakExt.Cli/LeakExt.Cli.csproj -c Release -r "$(host_rid)" -o artifacts/bench/leakext -nologo -v:minimal
    rm -rf artifacts/bench/leakext-native
    if has_native_linker; then
      publish_native artifacts/bench/leakext-native
    else
      echo "note: no clang or gcc on PATH: the standalone native leakext is not built, and the benchmark times the tool package only" >&2
    fi
    dotnet build scripts/bench/LeakExt.Bench.csproj -c Release -nologo -v:minimal
    dotnet scripts/bench/bin/Release/net10.0/LeakExt.Bench.dll "$@"
    ;;
  pack)
    # One package per runtime identifier, each published (and precompiled) on its own, so no --no-build.
    dotnet pack src/LeakExt.Cli/LeakExt.Cli.csproj -c "$configuration" -nologo
    echo "Package in artifacts/packages; install with: dotnet tool install -g LeakExt --add-source artifacts/packages"
    ;;
  native)
    # The standalone leakext, compiled ahead of time for this machine: one binary (with demo/ beside it).
    if ! has_native_linker; then
      echo "error: ahead-of-time compilation links with clang or gcc, and neither is on PATH: install one (apt-get install clang), or use the tool package (./build.sh pack)" >&2
      exit 1
    fi
    out="artifacts/native/$(host_rid)"
    publish_native "$out"
    echo "Built $out/leakext (run it from there: demo/ beside it holds the demo's program)"
    ;;
  windbg)
    # The DbgEng extension compiled ahead of time for this machine (needs clang or gcc; the tests
    # load it into a fake engine); WinDbg's leakext.dll comes from build.cmd windbg on Windows.
    rid="$(host_rid)"
    dotnet publish src/LeakExt.WinDbg/LeakExt.WinDbg.csproj -r "$rid" -c Release -o "artifacts/windbg/$rid" -nologo -v:minimal "$@"
    echo "Built artifacts/windbg/$rid/leakext.so"
    ;;
  *)
    echo "usage: ./build.sh build|test|demo|bench|pack|native|windbg [extra arguments]" >&2
    exit 2
    ;;
esac
