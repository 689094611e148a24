#!/usr/bin/env bash
# LeakExt build entry point (Linux/macOS). Verbs: build, test, demo, bench, pack, windbg.
# Needs only the .NET SDK (10.x); everything else comes from NuGet.
set -euo pipefail
cd "$(dirname "$0")"

verb="${1:-build}"
shift || true
configuration="${CONFIGURATION:-Release}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

build() {
  dotnet build DbgLeakExt.sln -c "$configuration" -nologo -clp:NoSummary -v:minimal "$@"
}

case "$verb" in
  build)
    build "$@"
    ;;
  test)
    build
    dotnet test tests/LeakExt.Tests/LeakExt.Tests.csproj -c "$configuration" --no-build -nologo \
      --logger "console;verbosity=normal" "$@"
    ;;
  demo)
    build
    dotnet "src/LeakExt.Cli/bin/$configuration/net10.0/leakext.dll" demo --out "${DEMO_OUT:-artifacts/demo}" "$@"
    ;;
  bench)
    build
    dotnet build scripts/bench/LeakExt.Bench.csproj -c Release -nologo -v:minimal
    dotnet scripts/bench/bin/Release/net10.0/LeakExt.Bench.dll "$@"
    ;;
  pack)
    build
    dotnet pack src/LeakExt.Cli/LeakExt.Cli.csproj -c "$configuration" --no-build -nologo
    echo "Package in artifacts/packages; install with: dotnet tool install -g LeakExt --add-source artifacts/packages"
    ;;
  windbg)
    # The DbgEng extension compiled ahead of time for this machine (the tests load it into a fake
    # engine); WinDbg's leakext.dll comes from build.cmd windbg on Windows.
    rid="$(dotnet --info | sed -n 's/^ *RID: *//p' | head -1)"
    dotnet publish src/LeakExt.WinDbg/LeakExt.WinDbg.csproj -r "$rid" -c Release -o "artifacts/windbg/$rid" -nologo -v:minimal "$@"
    echo "Built artifacts/windbg/$rid/leakext.so"
    ;;
  *)
    echo "usage: ./build.sh build|test|demo|bench|pack|windbg [extra arguments]" >&2
    exit 2
    ;;
esac
