
# --- Added by 'rel generate completions' -------------------------------
# rel's commands hold ':' (releases:info), and bash splits words at ':' when
# COMP_WORDBREAKS holds it, as it does by default. _rel_complete joins the
# pieces again before clap's _rel sees the words, and trims what bash
# already has from each reply; COMP_WORDBREAKS itself is left alone, so
# other commands' completions (scp host:path) keep working. Arguments that
# name a release are completed with the store's releases.

# Sets words and cword from COMP_WORDS, joining words split at ':'.
_rel_words() {
    words=()
    cword=0
    local line=$COMP_LINE pos=0 i j=-1 w gap
    for ((i = 0; i < ${#COMP_WORDS[@]}; i++)); do
        w=${COMP_WORDS[i]}
        gap=0
        while [[ ${line:pos:1} == [[:space:]] ]]; do
            ((pos++))
            gap=1
        done
        if ((i > 0 && gap == 0 && j >= 0)) && [[ $w == : || ${words[j]} == *: ]]; then
            words[j]+=$w
        else
            ((j++))
            words[j]=$w
        fi
        ((pos += ${#w}))
        ((i == COMP_CWORD)) && cword=$j
    done
}

# Prints the store's releases (current, vN, ...), honouring -C.
_rel_revisions() {
    local i dir=()
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
        -C) dir=(-C "${words[i + 1]/#\~/$HOME}") ;;
        -C?*) dir=(-C "${words[i]#-C}") ;;
        esac
    done
    local name _
    command rel "${dir[@]}" __complete-revisions 2>/dev/null |
        while IFS=$'\t' read -r name _; do printf '%s\n' "$name"; done
}

# Whether words[cword] names a release: an option that takes one, or an
# operand in a revision position. Per command: options that take a value,
# options that take a release, operand positions that are releases.
_rel_revision_slot() {
    local sub=$1 subi=$2 takes revopts revpos
    case $sub in
@REVISION_SLOTS@
    *) return 1 ;;
    esac
    takes=" -C --lock-timeout$takes "
    local prev=${words[cword - 1]} cur=${words[cword]}
    [[ -n $revopts && " $revopts " == *" $prev "* ]] && return 0
    [[ $cur == -* || $takes == *" $prev "* ]] && return 1
    local n=0 j w
    for ((j = subi + 1; j < cword; j++)); do
        w=${words[j]}
        if [[ $takes == *" $w "* ]]; then
            ((j++))
        elif [[ $w != -* ]]; then
            ((n++))
        fi
    done
    [[ " $revpos " == *" $((n + 1)) "* ]]
}

_rel_complete() {
    local -a words
    local cword
    _rel_words
    local cur=${words[cword]} prev=${words[cword - 1]}
    local i sub="" subi=0
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
        -C | --lock-timeout) ((i++)) ;;
        -*) ;;
        *)
            sub=${words[i]}
            subi=$i
            break
            ;;
        esac
    done
    if [[ -n $sub ]] && _rel_revision_slot "$sub" "$subi"; then
        COMPREPLY=($(compgen -W "$(_rel_revisions)" -- "$cur"))
    else
        local -a COMP_WORDS=("${words[@]}")
        local COMP_CWORD=$cword
        _rel "$1" "$cur" "$prev"
    fi
    if [[ $cur == *:* && $COMP_WORDBREAKS == *:* ]]; then
        local colon=${cur%"${cur##*:}"} k
        for k in "${!COMPREPLY[@]}"; do
            COMPREPLY[k]=${COMPREPLY[k]#"$colon"}
        done
    fi
    return 0
}
