# The Landscaper package: the TypeScript compiled by `tsc`, production node_modules, and a
# wrapper per `bin` entry of package.json (`landscaper`, `nixops4-resources-landscaper`).
#
# Dependencies come from package-lock.json through importNpmLock: every tarball is fetched
# by its lockfile integrity hash, so there is no hand-kept npmDepsHash to update.
{
  lib,
  buildNpmPackage,
  importNpmLock,
  nodejs,
  makeWrapper,
  openssh,
}:
let
  packageJson = lib.importJSON ./package.json;

  # Only what the build reads, so that editing docs, tests or Nix files does not
  # rebuild the package.
  src = lib.fileset.toSource {
    root = ./.;
    fileset = lib.fileset.unions (
      [
        ./package.json
        ./package-lock.json
        ./tsconfig.json
        ./src
      ]
      # Run-time assets that live beside the code (iPXE script templates).
      ++ lib.optional (builtins.pathExists ./boot) ./boot
    );
  };

  bins = packageJson.bin or { };
in
assert lib.assertMsg (lib.versionAtLeast nodejs.version "20") "landscaper needs Node.js 20 or newer, got ${nodejs.version}";
buildNpmPackage {
  pname = "landscaper";
  inherit (packageJson) version;
  inherit src;

  # nixpkgs' default Node.js LTS: Landscaper needs 20 or newer (package.json engines), and
  # nixpkgs drops each release line once it reaches its end of life.
  inherit nodejs;
  # npmRoot is only joined with file names (package.json, package-lock.json), never copied.
  npmDeps = importNpmLock { npmRoot = ./.; };
  npmConfigHook = importNpmLock.npmConfigHook;

  # ssh2 tries to compile an optional native crypto binding (and cpu-features) in an
  # install script; it falls back to pure JavaScript, so skip the compiler toolchain.
  # Explicit `npm run build` still runs.
  npmFlags = [ "--ignore-scripts" ];
  npmBuildScript = "build";

  nativeBuildInputs = [ makeWrapper ];

  # package.json has no `files` list and .gitignore names dist/, so `npm pack` (which the
  # default install hook uses) would leave the compiled code out. Install by hand instead,
  # keeping the repository's layout so that relative paths inside the code still resolve.
  installPhase = ''
    runHook preInstall

    npm prune --omit=dev --no-save $npmFlags
    # importNpmLock points the build's lockfiles at store paths; keep those out of the
    # output (they would drag every dependency tarball into the closure).
    rm -f node_modules/.package-lock.json

    dest=$out/lib/landscaper
    mkdir -p $dest/dist $out/bin
    cp ${src}/package.json $dest/package.json
    cp -r dist/src $dest/dist/src
    cp -r node_modules $dest/node_modules
    if [ -d boot ]; then cp -r boot $dest/boot; fi

    ${lib.concatStringsSep "\n" (
      lib.mapAttrsToList (name: path: ''
        makeWrapper ${lib.getExe nodejs} $out/bin/${lib.escapeShellArg name} \
          --add-flags "$dest/"${lib.escapeShellArg path} \
          --prefix PATH : ${lib.makeBinPath [ openssh ]}
      '') bins
    )}

    # Shell completions (bash, zsh, fish) and landscaper(1), made from the command spec:
    # share/bash-completion/completions, share/zsh/site-functions,
    # share/fish/vendor_completions.d, share/man/man1 (src/cli/install-files.ts).
    ${lib.getExe nodejs} $dest/dist/src/cli/install-files.js $out > /dev/null

    runHook postInstall
  '';

  # `npm test` needs eslint, prettier and real network peers; the repository's CI runs it.
  doCheck = false;

  meta = {
    description = packageJson.description;
    license = lib.licenses.mit;
    platforms = lib.platforms.linux;
    mainProgram = "landscaper";
  };
}
