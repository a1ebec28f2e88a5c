# A stand-in for nixpkgs' package set: only the names Landscaper's Nix files, disko's
# scripts and NixOps4's modules use. Every package is a real `derivation` (its builder
# fails if anyone tries to build it), so store paths, string contexts and `lib.getExe`
# behave as with nixpkgs; only their contents are made up. The writers keep their text
# (`.text`), and `runCommand` its script (`.buildCommand`), so tests can read what would
# be built.
{ lib, system }:
let
  fake =
    name: env:
    derivation (
      {
        inherit name system;
        builder = "/bin/sh";
        args = [
          "-c"
          "echo 'a test stand-in for nixpkgs, not buildable' >&2; exit 1"
        ];
      }
      // env
    );

  package =
    pname:
    fake "${pname}-0-stand-in" { }
    // {
      inherit pname;
      version = "0-stand-in";
      meta.mainProgram = pname;
    };

  named = names: lib.genAttrs names package;

  hostPlatform = lib.systems.elaborate system;

  # pkgs/build-support/trivial-builders: the text lands in the store as a file.
  writeTextFile =
    {
      name,
      text,
      executable ? false,
      destination ? "",
      ...
    }:
    fake name { inherit text destination; } // { inherit text executable; };

  self = named [
    "bash"
    "coreutils"
    "coreutils-full"
    "curl"
    "dosfstools"
    "e2fsprogs"
    "findutils"
    "gawk"
    "git"
    "gnugrep"
    "gnused"
    "gptfdisk"
    "iproute2"
    "ipmitool"
    "iputils"
    "jq"
    "lvm2"
    "mdadm"
    "nix"
    "openssh"
    "parted"
    "shellcheck"
    "systemd"
    "systemdMinimal"
    "util-linux"
    "zfs"
  ]
  // {
    inherit lib;

    stdenv.hostPlatform = hostPlatform;

    # The kernel names its image file (bzImage on x86, Image on ARM).
    linux = package "linux" // {
      target = if hostPlatform.isx86 then "bzImage" else "Image";
    };

    # nixpkgs' default Node.js (package.nix asserts 20 or newer).
    nodejs = package "nodejs" // {
      version = "22.11.0";
      meta.mainProgram = "node";
    };

    # pkgs/tools/misc/ipxe: `override { additionalTargets }` adds build targets.
    ipxe =
      let
        ipxeWith = additionalTargets: package "ipxe" // { inherit additionalTargets; };
      in
      ipxeWith { }
      // {
        override = args: ipxeWith (args.additionalTargets or { });
      };

    callPackage = lib.callPackageWith self;

    writeText = name: text: writeTextFile { inherit name text; };
    writeScript =
      name: text:
      writeTextFile {
        inherit name text;
        executable = true;
      };
    inherit writeTextFile;

    runCommand =
      name: env: buildCommand:
      fake name (env // { inherit buildCommand; }) // { inherit buildCommand; };

    # pkgs/build-support/writers/scripts.nix: the interpreter line, then the text.
    writers.makeScriptWriter =
      {
        interpreter,
        check ? "",
        ...
      }:
      nameOrPath: text:
      writeTextFile {
        name = baseNameOf nameOrPath;
        text = "#! ${interpreter}\n${text}";
        executable = true;
        destination = if lib.hasPrefix "/" nameOrPath then nameOrPath else "";
      }
      // {
        inherit check;
      };

    # pkgs/pkgs-lib/formats.nix: `formats.json { }.type` is a JSON value (null, bool, int,
    # float, string, path, or attribute sets and lists of those).
    formats.json =
      { }:
      {
        type =
          let
            valueType =
              with lib.types;
              nullOr (oneOf [
                bool
                int
                float
                str
                path
                (attrsOf valueType)
                (listOf valueType)
              ])
              // {
                description = "JSON value";
              };
          in
          valueType;
        generate = name: value: self.writeText name (builtins.toJSON value);
      };

    # pkgs/build-support/node/build-npm-package and import-npm-lock: what package.nix
    # passes is kept, so tests can see the source set and the install phase.
    buildNpmPackage =
      args:
      fake "${args.pname}-${args.version}" {
        inherit (args) src installPhase;
      }
      // {
        inherit (args)
          pname
          version
          src
          meta
          installPhase
          ;
      };
    importNpmLock = {
      __functor = _: { npmRoot, ... }: fake "npm-deps" { } // { inherit npmRoot; };
      npmConfigHook = package "npm-config-hook";
    };
    makeWrapper = package "make-wrapper-hook";
  };
in
self
