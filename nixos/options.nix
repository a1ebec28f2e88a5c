# Option builders shared by the machine component and the provider declaration. nixpkgs'
# lib has none for a nullable option with a null default (mkPackageOption's `nullable`
# is for packages only).
lib:
let
  inherit (lib) mkOption types;
in
{
  # An option that may be left unset: null, which the provider treats as absent.
  optional =
    type: description:
    mkOption {
      type = types.nullOr type;
      default = null;
      inherit description;
    };
}
