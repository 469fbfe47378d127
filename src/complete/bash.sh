
# --- Added by 'rel generate completions' -------------------------------
# rel's commands hold ':' (releases:info), and bash splits words at ':' when
# COMP_WORDBREAKS holds it, as it does by default. _rel_complete joins the
# pieces again before clap's _rel sees the words, and trims what bash
# already has from each reply; COMP_WORDBREAKS itself is left alone, so
# other commands' completions (scp host:path) keep working. Arguments that
# name a release, a config var or an add-on are completed with the store's
# releases, the current release's config vars or its add-ons.

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

# Sets COMPREPLY to the store's names of a kind (revisions, config-vars,
# addons; see 'rel __complete-KIND') that start with cur, honouring -C.
# Each is quoted as the shell reads it back (an add-on name may hold a
# space or a '$'); config vars already on the line are not offered again.
_rel_names() {
    local kind=$1 cur=$2 subi=$3 i dir=()
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
        -C) dir=(-C "${words[i + 1]/#\~/$HOME}") ;;
        -C?*) dir=(-C "${words[i]#-C}") ;;
        esac
    done
    local used=" "
    if [[ $kind == config-vars ]]; then
        for ((i = subi + 1; i < cword; i++)); do
            used+="${words[i]} "
        done
    fi
    local name quoted _
    COMPREPLY=()
    while IFS=$'\t' read -r name _; do
        [[ -n $name && $used != *" $name "* ]] || continue
        printf -v quoted '%q' "$name"
        if [[ $name == "$cur"* || $quoted == "$cur"* ]]; then
            COMPREPLY+=("$quoted")
        fi
    done < <(command rel "${dir[@]}" "__complete-$kind" 2>/dev/null)
}

# Sets kind when words[cword] names something in the store: an option that
# takes a release, or an operand in such a position. Per command: options
# that take a value, options that take a release, what each operand names
# (- for nothing), and what the operands after those name when the last
# one repeats.
_rel_store_slot() {
    local sub=$1 subi=$2 takes revopts pos more
    kind=""
    case $sub in
@SLOTS@
    *) return 1 ;;
    esac
    takes=" -C --lock-timeout$takes "
    local prev=${words[cword - 1]} cur=${words[cword]}
    if [[ -n $revopts && " $revopts " == *" $prev "* ]]; then
        kind=revisions
        return 0
    fi
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
    local -a kinds=($pos)
    if ((n < ${#kinds[@]})); then
        kind=${kinds[n]}
    else
        kind=$more
    fi
    [[ -n $kind && $kind != - ]]
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
    local kind
    if [[ -n $sub ]] && _rel_store_slot "$sub" "$subi"; then
        _rel_names "$kind" "$cur" "$subi"
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
