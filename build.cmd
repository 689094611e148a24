@echo off
rem LeakExt build entry point (Windows). Verbs: build, test, demo, bench, pack, native, windbg.
setlocal
cd /d "%~dp0"
set VERB=%1
if "%VERB%"=="" set VERB=build
if "%CONFIGURATION%"=="" set CONFIGURATION=Release
set DOTNET_CLI_TELEMETRY_OPTOUT=1
set DOTNET_NOLOGO=1

if /i "%VERB%"=="build" goto build
if /i "%VERB%"=="test" goto test
if /i "%VERB%"=="demo" goto demo
if /i "%VERB%"=="bench" goto bench
if /i "%VERB%"=="pack" goto pack
if /i "%VERB%"=="native" goto native
if /i "%VERB%"=="windbg" goto windbg
echo usage: build.cmd build^|test^|demo^|bench^|pack^|native^|windbg 1>&2
exit /b 2

:build
dotnet build DbgLeakExt.sln -c %CONFIGURATION% -nologo -v:minimal || exit /b 1
exit /b 0

:test
call :build || exit /b 1
dotnet test tests\LeakExt.Tests\LeakExt.Tests.csproj -c %CONFIGURATION% --no-build -nologo --logger "console;verbosity=normal" || exit /b 1
exit /b 0

:demo
call :build || exit /b 1
if "%DEMO_OUT%"=="" set DEMO_OUT=artifacts\demo
dotnet src\LeakExt.Cli\bin\%CONFIGURATION%\net10.0\leakext.dll demo --out %DEMO_OUT% || exit /b 1
exit /b 0

:bench
call :build || exit /b 1
rem The benchmark times leakext as the tool package for this machine holds it (ReadyToRun).
set "BENCHRID=win-x64"
if /i "%PROCESSOR_ARCHITECTURE%"=="ARM64" set "BENCHRID=win-arm64"
dotnet publish src\LeakExt.Cli\LeakExt.Cli.csproj -c Release -r %BENCHRID% -o artifacts\bench\leakext -nologo -v:minimal || exit /b 1
dotnet build scripts\bench\LeakExt.Bench.csproj -c Release -nologo -v:minimal || exit /b 1
dotnet scripts\bench\bin\Release\net10.0\LeakExt.Bench.dll %2 %3 %4 %5 || exit /b 1
exit /b 0

:pack
rem One package per runtime identifier, each published (and precompiled) on its own, so no --no-build.
dotnet pack src\LeakExt.Cli\LeakExt.Cli.csproj -c %CONFIGURATION% -nologo || exit /b 1
exit /b 0

:native
rem The standalone leakext, compiled ahead of time for this machine (needs Visual Studio's C++ build tools, as windbg does).
set "NATIVERID=win-x64"
if /i "%PROCESSOR_ARCHITECTURE%"=="ARM64" set "NATIVERID=win-arm64"
dotnet publish src\LeakExt.Cli\LeakExt.Cli.csproj -c Release -r %NATIVERID% -p:LeakExtNative=true -o artifacts\native\%NATIVERID% -nologo -v:minimal || exit /b 1
echo Built artifacts\native\%NATIVERID%\leakext.exe
exit /b 0

:windbg
rem The native WinDbg extension, ahead-of-time compiled: artifacts\windbg\<rid>\leakext.dll.
rem win-arm64 on an x64 machine needs Visual Studio's ARM64 build tools (and the reverse).
for %%R in (win-x64 win-arm64) do (
  dotnet publish src\LeakExt.WinDbg\LeakExt.WinDbg.csproj -r %%R -c Release -o artifacts\windbg\%%R -nologo -v:minimal || exit /b 1
)
echo In WinDbg: .load %CD%\artifacts\windbg\win-x64\leakext.dll   (see docs\hosts.md)
exit /b 0
