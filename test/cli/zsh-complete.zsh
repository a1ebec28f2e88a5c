# zsh -f zsh-complete.zsh FPATH_DIR OUT LINE
# Types LINE and a Tab into an interactive zsh (under zsh/zpty) whose compinit found
# _landscaper in FPATH_DIR; Ctrl-T, bound to a widget, writes the edit buffer to OUT.buf.
# Ctrl-T is pressed until the completion has changed the buffer (at most ~30 s: the
# machine-name completion runs the landscaper CLI, a node start that took over 10 s once
# while the whole suite loaded the machine).
# (Not Ctrl-X: it is a prefix key, and two in a row swap point and mark.)
# Ctrl-Ts typed while the completion runs queue up, so the inner zsh may be rewriting
# OUT.buf (truncate, then write) at the moment it is read or killed: the driver keeps
# what it read in a variable and writes OUT itself once the inner zsh is gone.
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "PS1='> '; fpath=($1 \$fpath); autoload -Uz compinit; compinit -u -D; show() { print -r -- \"\$BUFFER\" > $2.buf; }; zle -N show; bindkey '^T' show; print RE''ADY"
zpty -r z out '*READY*'
sleep 0.3
zpty -w -n z "$3"$'\t'
for i in {1..120}; do
  sleep 0.25
  # keep the pty drained so that zsh never blocks on its output
  while zpty -r -t z junk; do :; done
  zpty -w -n z $'\x14'
  buf=$(<$2.buf) 2>/dev/null
  [[ -n $buf && $buf != "$3" ]] && break
done
zpty -d z
print -r -- "$buf" > $2
