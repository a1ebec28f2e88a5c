# services.landscaper: the network-boot appliance as a NixOS service.
#
# One process (`landscaper serve`) answers DHCP (UDP 67, 4011: proxyDHCP beside the site's
# DHCP server, or in `dhcp.mode = "server"` the network's own DHCP server), TFTP (UDP 69),
# HTTP (TCP 80) and the control socket /run/landscaper/control.sock. It runs as its own
# system user with only CAP_NET_BIND_SERVICE: DHCP replies are limited broadcasts from an
# ordinary UDP socket (SO_BROADCAST needs no privilege) and nothing binds to a device or
# opens raw sockets, so CAP_NET_RAW and CAP_NET_ADMIN stay out. Server mode's "is this
# address in use?" check runs iputils' ping, which opens an ICMP datagram socket: NixOS
# installs systemd's sysctl.d/50-default.conf, whose net.ipv4.ping_group_range admits
# every group (the setcap ping in /run/wrappers would not help under NoNewPrivileges).
{
  config,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib)
    mkEnableOption
    mkIf
    mkOption
    optional
    optionals
    types
    ;

  cfg = config.services.landscaper;
  settingsLib = import ./settings.nix;
  ipv4 = import ./ipv4.nix;
  json = pkgs.formats.json { };

  # The effective config (defaults merged), for the values this module itself needs:
  # ports for the firewall, the socket and state paths for the sandbox.
  effective = settingsLib.merge cfg.settings;

  configFile = pkgs.writeText "landscaper.json" (settingsLib.render cfg.settings);

  checkedConfigFile =
    if cfg.checkConfig then
      pkgs.runCommand "landscaper-checked.json" { } ''
        ${lib.getExe' cfg.package "landscaper"} serve --check-config --config ${configFile} > /dev/null
        cp ${configFile} $out
      ''
    else
      configFile;

  defaultStateDir = "/var/lib/landscaper";
  defaultRuntimeDir = "/run/landscaper";
  socketDir = dirOf effective.control.socket;

  customDirs =
    optional (effective.stateDir != defaultStateDir) effective.stateDir
    ++ optional (socketDir != defaultRuntimeDir) socketDir;

  # The chosen interface as the host configures it in Nix (null when it does not).
  interfaceConfig =
    if cfg.interface == null then null else config.networking.interfaces.${cfg.interface} or null;
  # Its static addresses.
  interfaceAddresses = if interfaceConfig == null then [ ] else interfaceConfig.ipv4.addresses;

  isServerMode =
    settings:
    builtins.isAttrs settings
    && builtins.isAttrs (settings.dhcp or null)
    && (settings.dhcp.mode or "proxy") == "server";
  serverMode = isServerMode cfg.settings;

  # Server mode's subnet from the interface: the network of the static address that is
  # `settings.address` (the first one when `address` is left out), e.g. 10.77.0.2 with
  # prefixLength 24 -> "10.77.0.0/24". null when there is none to take it from.
  derivedSubnet =
    settings:
    let
      given = settings.address or null;
      own = lib.findFirst (a: given == null || a.address == given) null interfaceAddresses;
    in
    if own == null then null else ipv4.networkOf own.address own.prefixLength;

  # `settings` with `dhcp.server.subnet` filled in from the interface, in server mode when
  # the operator gave none. Done in the option's `apply`, on the merged value: a definition
  # conditional on `settings.dhcp.mode` would be a definition of `settings` that reads
  # `settings` (the JSON type merges attribute sets strictly), an infinite recursion.
  withDerivedSubnet =
    settings:
    let
      server = if (settings.dhcp.server or null) == null then { } else settings.dhcp.server;
      subnet = derivedSubnet settings;
    in
    if !(isServerMode settings) || !(builtins.isAttrs server) || server ? subnet || subnet == null then
      settings
    else
      settings
      // {
        dhcp = settings.dhcp // {
          server = server // {
            inherit subnet;
          };
        };
      };
  hasSubnet = builtins.isAttrs (cfg.settings.dhcp.server or null) && cfg.settings.dhcp.server ? subnet;

  # iPXE as Landscaper serves it: pkgs.ipxe plus snponly.efi, the EFI build that drives
  # the NIC through the firmware's own SNP driver (DESIGN.md's default `ipxe.efi`).
  ipxeWithSnponly = pkgs.ipxe.override {
    additionalTargets =
      lib.optionalAttrs pkgs.stdenv.hostPlatform.isx86_64 { "bin-x86_64-efi/snponly.efi" = null; }
      // lib.optionalAttrs pkgs.stdenv.hostPlatform.isAarch64 { "bin-arm64-efi/snponly.efi" = null; };
  };
in
{
  options.services.landscaper = {
    enable = mkEnableOption "Landscaper, the network-boot appliance that installs NixOS on bare servers";

    package = mkOption {
      type = types.package;
      default = pkgs.callPackage ../package.nix { };
      defaultText = lib.literalExpression "pkgs.callPackage <landscaper>/package.nix { }";
      description = "The Landscaper package (provides `landscaper` and `nixops4-resources-landscaper`).";
    };

    ipxePackage = mkOption {
      type = types.package;
      default = ipxeWithSnponly;
      defaultText = lib.literalExpression ''pkgs.ipxe.override { additionalTargets = { "bin-x86_64-efi/snponly.efi" = null; }; }'';
      description = ''
        iPXE binaries served over TFTP and HTTP (`settings.ipxe.dir` defaults to this
        package). Must contain the files named by `settings.ipxe.efi` and
        `settings.ipxe.bios`.
      '';
    };

    nixops4Package = mkOption {
      type = types.nullOr types.package;
      default = null;
      example = lib.literalExpression "inputs.nixops4.packages.\${pkgs.system}.default";
      description = ''
        NixOps4, installed system-wide so that the deployment in
        `/root/fediversity-network` can be applied on the appliance itself. The flake's
        `nixosModules.landscaper` sets it from its `nixops4` input.
      '';
    };

    interface = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "enp1s0";
      description = ''
        The network interface facing the servers to install. The firewall is opened on
        this interface only, and when it has a static IPv4 address in
        `networking.interfaces`, that address becomes `settings.address` and, in
        `dhcp.mode = "server"`, its network becomes `settings.dhcp.server.subnet`.
      '';
    };

    openFirewall = mkOption {
      type = types.bool;
      default = false;
      description = ''
        Open the firewall on `interface` (only) for DHCP (UDP `dhcp.port` and
        `dhcp.proxyPort`, and in server mode 68, where answers to the start-up check for
        another DHCP server arrive), TFTP (UDP `tftp.port`), HTTP (TCP `http.port`) and,
        when mDNS is enabled, UDP 5353. TFTP data flows from per-transfer ephemeral ports; the
        client's answers are replies to our packets, which the stateful firewall admits.
      '';
    };

    checkConfig = mkOption {
      type = types.bool;
      default = true;
      description = ''
        Validate the rendered config file at build time with
        `landscaper serve --check-config`.
      '';
    };

    settings = mkOption {
      type = json.type;
      default = { };
      apply = withDerivedSubnet;
      example = lib.literalExpression ''
        {
          address = "192.168.10.2";
          http.port = 8080;
          afterInstall = "ignore";
          hooks.onInstalled = [ "''${pkgs.util-linux}/bin/logger" "-t" "landscaper" ];
        }
      '';
      description = ''
        Landscaper's configuration (DESIGN.md "Config and command line"), rendered to the
        JSON file given to `landscaper serve --config`. Keys left out take Landscaper's
        defaults; an unknown key is an evaluation error that names it. `ipxe.dir`
        defaults to `ipxePackage`. `hooks.onInstalled` runs inside the service's sandbox
        (its user, read-only system, no new privileges).

        With `dhcp.mode = "server"` (no other DHCP server on the network), Landscaper
        hands out the addresses; `dhcp.server.subnet` defaults to the network of
        `interface`'s static address in `networking.interfaces` (`10.0.0.0/24` for
        `10.0.0.2`/24), and `openFirewall` also opens UDP 68 for the start-up check for
        another DHCP server.
      '';
    };

    group = mkOption {
      type = types.str;
      default = "landscaper";
      description = ''
        Group owning the control socket (mode `settings.control.mode`, 0660 by default).
        Members may use the `landscaper` CLI and the NixOps4 provider without root.
      '';
    };

    flakeSource = mkOption {
      type = types.nullOr types.path;
      default = null;
      description = ''
        Landscaper's flake source. When set (the flake's `nixosModules.landscaper` sets
        it), it is kept as a plain directory at `/var/lib/landscaper-flake`, which the
        deployment template uses as its `landscaper` input (flake references through
        symlinks, such as /etc entries, do not work).
      '';
    };

    deploymentTemplate = {
      enable = mkOption {
        type = types.bool;
        default = cfg.enable;
        defaultText = lib.literalExpression "config.services.landscaper.enable";
        description = ''
          Copy the NixOps4 deployment template to `deploymentTemplate.target` at boot when
          that directory does not exist yet (an existing one is never touched).
        '';
      };
      source = mkOption {
        type = types.path;
        default = ./template;
        defaultText = lib.literalExpression "<landscaper>/nixos/template";
        description = "The deployment template to copy.";
      };
      target = mkOption {
        type = types.str;
        default = "/root/fediversity-network";
        description = "Where the deployment template lands.";
      };
    };
  };

  config = lib.mkMerge [
    (mkIf cfg.enable {
      assertions = [
        {
          assertion = cfg.openFirewall -> cfg.interface != null;
          message = "services.landscaper.openFirewall opens ports on one interface only: set services.landscaper.interface.";
        }
        {
          assertion = lib.hasPrefix "/" effective.control.socket;
          message = "services.landscaper.settings.control.socket must be an absolute path.";
        }
        {
          assertion = serverMode -> hasSubnet;
          message =
            ''services.landscaper.settings.dhcp.mode = "server" needs the subnet to hand out addresses in, and none could be taken from the interface: ''
            + ''give services.landscaper.interface (${
              if cfg.interface == null then "not set" else "now \"${cfg.interface}\""
            }) a static address in networking.interfaces.<name>.ipv4.addresses (the one in settings.address, when that is set), ''
            + ''or set services.landscaper.settings.dhcp.server.subnet, for example "10.0.0.0/24".'';
        }
        {
          # The appliance is the network's DHCP server: its own address cannot come from one.
          assertion = serverMode && interfaceConfig != null -> interfaceConfig.useDHCP != true;
          message =
            ''services.landscaper.settings.dhcp.mode = "server" makes this host the DHCP server of ${cfg.interface}, ''
            + ''but networking.interfaces.${cfg.interface}.useDHCP = true asks another DHCP server there for its address: ''
            + ''give ${cfg.interface} a static address in networking.interfaces.${cfg.interface}.ipv4.addresses instead, ''
            + ''or keep dhcp.mode = "proxy" where the site runs a DHCP server.'';
        }
      ];

      services.landscaper.settings = {
        ipxe.dir = lib.mkDefault "${cfg.ipxePackage}";
        address = lib.mkIf (interfaceAddresses != [ ]) (
          lib.mkDefault (builtins.head interfaceAddresses).address
        );
      };

      users.users.landscaper = {
        isSystemUser = true;
        group = cfg.group;
        description = "Landscaper network-boot appliance";
        home = defaultStateDir;
      };
      users.groups.${cfg.group} = { };

      # The DHCP sockets ask for a 16 MiB receive buffer so that a rack powering on at once
      # (2,000 DISCOVERs in a burst) and a hostile flood during node's collector pauses
      # (docs/benchmarks.md: 4 MiB lost 2-8 % of a real client's exchanges, 16 MiB none)
      # lose no request; the kernel caps it here.
      # nixpkgs merges this sysctl as "highest value wins" among definitions of the same
      # priority: a plain definition joins that merge, where mkDefault would lose to any
      # plain lower value elsewhere.
      boot.kernel.sysctl."net.core.rmem_max" = 16777216;

      environment.systemPackages = [ cfg.package ] ++ optional (cfg.nixops4Package != null) cfg.nixops4Package;
      # The package's shell completions and man page reach the system profile whichever
      # shells are enabled (each shell's module links only its own directory).
      environment.pathsToLink = [
        "/share/bash-completion"
        "/share/zsh/site-functions"
        "/share/fish/vendor_completions.d"
        "/share/man"
      ];
      # The CLI and the provider find the socket without flags.
      environment.variables.LANDSCAPER_SOCKET = effective.control.socket;

      networking.firewall.interfaces = mkIf cfg.openFirewall {
        ${cfg.interface} = {
          allowedUDPPorts =
            optionals effective.dhcp.enable [
              effective.dhcp.port
              effective.dhcp.proxyPort
            ]
            # Server mode refuses to start when another DHCP server answers its probe; the
            # answers come to the client port 68 as broadcasts, which the stateful
            # firewall would not know as replies.
            ++ optional (effective.dhcp.enable && serverMode) 68
            ++ optional effective.tftp.enable effective.tftp.port
            ++ optional effective.mdns.enable 5353;
          allowedTCPPorts = [ effective.http.port ];
        };
      };

      systemd.tmpfiles.rules =
        optional (effective.stateDir != defaultStateDir) "d ${effective.stateDir} 0700 landscaper ${cfg.group} -"
        ++ optional (socketDir != defaultRuntimeDir) "d ${socketDir} 0750 landscaper ${cfg.group} -";

      systemd.services.landscaper = {
        description = "Landscaper network-boot appliance";
        wantedBy = [ "multi-user.target" ];
        # Replies and boot URLs carry `address`; it must be configured before we start.
        wants = [ "network-online.target" ];
        after = [ "network-online.target" ];
        environment.NODE_ENV = "production";
        # BMC power (src/power) runs ipmitool by name, from the service's PATH; server
        # mode runs ping before it offers an address from the pool.
        path = [ pkgs.ipmitool ] ++ optional serverMode pkgs.iputils;

        serviceConfig = {
          Type = "simple";
          ExecStart = "${lib.getExe' cfg.package "landscaper"} serve --config ${checkedConfigFile}";
          Restart = "on-failure";
          RestartSec = "2s";

          User = "landscaper";
          Group = cfg.group;
          # The state holds install tokens and installation host keys: the service's
          # alone. The socket's own mode (control.mode) is set by Landscaper.
          UMask = "0077";

          StateDirectory = "landscaper";
          StateDirectoryMode = "0700";
          # /run/landscaper holds the control socket; the group may traverse it.
          RuntimeDirectory = "landscaper";
          RuntimeDirectoryMode = "0750";
          # A state or socket directory moved elsewhere must be writable too (and exist:
          # see the tmpfiles rules below).
          ReadWritePaths = customDirs;

          AmbientCapabilities = [ "CAP_NET_BIND_SERVICE" ];
          CapabilityBoundingSet = [ "CAP_NET_BIND_SERVICE" ];
          NoNewPrivileges = true;

          ProtectSystem = "strict";
          ProtectHome = true;
          PrivateTmp = true;
          PrivateDevices = true;
          # A private user namespace would make CAP_NET_BIND_SERVICE useless for the
          # host's network namespace; the ports are the point of this service.
          PrivateUsers = false;
          ProtectKernelTunables = true;
          ProtectKernelModules = true;
          ProtectKernelLogs = true;
          ProtectControlGroups = true;
          ProtectClock = true;
          ProtectHostname = true;
          ProtectProc = "invisible";
          RestrictAddressFamilies = [
            "AF_INET"
            "AF_INET6"
            "AF_UNIX"
            # os.networkInterfaces() (the default `address`, mDNS) asks the kernel by netlink.
            "AF_NETLINK"
          ];
          RestrictNamespaces = true;
          RestrictRealtime = true;
          RestrictSUIDSGID = true;
          LockPersonality = true;
          RemoveIPC = true;
          # V8 compiles JavaScript to machine code at run time.
          MemoryDenyWriteExecute = false;
          SystemCallArchitectures = "native";
          SystemCallFilter = [
            "@system-service"
            "~@privileged"
          ];
          SystemCallErrorNumber = "EPERM";
          DevicePolicy = "closed";
        };
      };
    })

    (mkIf (cfg.flakeSource != null) {
      systemd.services.landscaper-flake-source = {
        description = "Keep Landscaper's flake at /var/lib/landscaper-flake";
        wantedBy = [ "multi-user.target" ];
        # The unit names the store path, so a new Landscaper restarts it on switch.
        restartIfChanged = true;
        serviceConfig = {
          Type = "oneshot";
          RemainAfterExit = true;
          UMask = "0022";
        };
        script = ''
          dest=/var/lib/landscaper-flake
          rm -rf "$dest.new"
          cp -r --no-preserve=mode,ownership ${cfg.flakeSource} "$dest.new"
          rm -rf "$dest"
          mv "$dest.new" "$dest"
        '';
        path = [ pkgs.coreutils ];
      };
    })

    (mkIf cfg.deploymentTemplate.enable {
      systemd.services.landscaper-deployment-template = {
        description = "Place the Landscaper NixOps4 deployment template";
        wantedBy = [ "multi-user.target" ];
        unitConfig.ConditionPathExists = "!${cfg.deploymentTemplate.target}";
        serviceConfig = {
          Type = "oneshot";
          UMask = "0077";
        };
        # Store files are read-only; the copy must be the operator's to edit.
        script = ''
          target=${lib.escapeShellArg cfg.deploymentTemplate.target}
          mkdir -p "$(dirname "$target")"
          rm -rf "$target.tmp"
          cp -r --no-preserve=mode,ownership ${cfg.deploymentTemplate.source} "$target.tmp"
          mv "$target.tmp" "$target"
        '';
        path = [ pkgs.coreutils ];
      };
    })
  ];
}
