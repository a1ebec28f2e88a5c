import { argument } from "./parse.js";
import type { Call } from "./spec.js";

/**
 * The completion scripts. Each is a thin adapter: it hands the words of the command line
 * to `landscaper __complete -- WORDS...` (complete-words.ts, which reads the same spec as
 * the parser) and turns the answer into the shell's own candidates. So a new command or
 * option completes without touching these scripts. Errors are dropped: a Tab never prints.
 */

const BASH = `# bash completion for landscaper (from \`landscaper completion bash\`)
_landscaper() {
    local line=\${COMP_LINE:0:COMP_POINT} cur out IFS=$'\\n'
    local -a words
    # split the line ourselves: bash's COMP_WORDS splits a MAC at every ':'
    IFS=$' \\t' read -r -a words <<<"$line"
    [[ $line == *[[:space:]] ]] && words+=("")
    cur=\${words[\${#words[@]}-1]}
    out=$("\${words[0]}" __complete -- "\${words[@]:1}" 2>/dev/null) || return 0
    case $out in
    :files) COMPREPLY=($(compgen -f -- "$cur")); compopt -o filenames 2>/dev/null ;;
    :dirs) COMPREPLY=($(compgen -d -- "$cur")); compopt -o filenames 2>/dev/null ;;
    *)
        COMPREPLY=($(printf '%s\\n' "$out" | cut -f1))
        # readline replaces only the part after the last ':' (a word break)
        if [[ $cur == *:* && $COMP_WORDBREAKS == *:* ]]; then
            local colon=\${cur%"\${cur##*:}"}
            COMPREPLY=("\${COMPREPLY[@]#"$colon"}")
        fi
        ;;
    esac
}
complete -F _landscaper landscaper
`;

const ZSH = `#compdef landscaper
# zsh completion for landscaper (from \`landscaper completion zsh\`)
_landscaper() {
    local -a lines cands
    local l v
    lines=("\${(@f)$(\${words[1]} __complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
    case \${lines[1]} in
    :files) _files ;;
    :dirs) _files -/ ;;
    *)
        for l in $lines; do
            [[ -z $l ]] && continue
            v=\${l%%$'\\t'*}
            v=\${v//:/\\\\:}
            if [[ -n \${l#*$'\\t'} ]]; then cands+=("$v:\${l#*$'\\t'}"); else cands+=("$v"); fi
        done
        _describe landscaper cands
        ;;
    esac
}
# sourced: register; autoloaded from fpath (the #compdef line): complete now
if [[ \${funcstack[1]} == _landscaper ]]; then _landscaper "$@"; else compdef _landscaper landscaper; fi
`;

const FISH = `# fish completion for landscaper (from \`landscaper completion fish\`)
function __landscaper_complete
    set -l cur (commandline -ct)
    set -q cur[1]; or set cur ""
    set -l words (commandline -opc) $cur
    set -l out ($words[1] __complete -- $words[2..-1] 2>/dev/null); or return
    switch "$out[1]"
        case :files
            __fish_complete_path $cur
        case :dirs
            __fish_complete_directories $cur ""
        case '*'
            printf '%s\\n' $out
    end
end
complete -c landscaper -f -a '(__landscaper_complete)'
`;

export const SCRIPTS: Readonly<Record<string, string>> = { bash: BASH, zsh: ZSH, fish: FISH };

/** Where each shell looks for a packaged script, relative to a prefix such as /usr. */
export const INSTALL_PATHS: Readonly<Record<string, string>> = {
  bash: "share/bash-completion/completions/landscaper",
  zsh: "share/zsh/site-functions/_landscaper",
  fish: "share/fish/vendor_completions.d/landscaper.fish",
};

export function run(call: Call): number {
  // the parser has checked SHELL against the spec's list
  process.stdout.write(SCRIPTS[argument(call, "SHELL")] ?? "");
  return 0;
}
