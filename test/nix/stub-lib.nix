# A stand-in for nixpkgs' `lib` with just what the provider declaration uses, so that the
# test command can evaluate the declaration's shape (resource types, input and output
# names, which inputs are optional) with builtins only. Types are named, not checked.
let
  type = name: {
    _type = "option-type";
    inherit name;
  };
in
{
  mkOption = args: args // { _type = "option"; };
  types = {
    str = type "str";
    int = type "int";
    bool = type "bool";
    port = type "port";
    path = type "path";
    package = type "package";
    anything = type "anything";
    ints.positive = type "positive int";
    nullOr = t: type "null or ${t.name}";
    either = a: b: type "${a.name} or ${b.name}";
    enum = values: type "one of ${builtins.concatStringsSep ", " values}";
    attrsOf = t: type "attribute set of ${t.name}";
    listOf = t: type "list of ${t.name}";
    submodule = _module: type "submodule";
    coercedTo =
      _from: _coerce: to:
      to;
  };
}
