
# Added by 'rel generate completions': the store's releases, the current
# release's config vars and add-ons, for arguments that name one; -C given
# on the command line is honoured.

# Sets reply to the lines of 'rel [-C PATH] __complete-KIND'.
(( $+functions[_rel_store_names] )) ||
_rel_store_names() {
    local -a line dir
    local i
    line=(${(z)LBUFFER})
    for (( i = 2; i < ${#line}; i++ )); do
        case ${line[i]} in
        (-C) dir=(-C ${(Q)line[i+1]/#\~/$HOME}) ;;
        (-C?*) dir=(-C ${(Q)line[i]#-C}) ;;
        esac
    done
    reply=(${(f)"$(command rel $dir __complete-$1 2>/dev/null)"})
}

(( $+functions[_rel_revisions] )) ||
_rel_revisions() {
    local -a reply revs
    _rel_store_names revisions
    revs=(${reply/$'\t'/:})
    _describe -t revisions 'release' revs
}

# Config vars already among the operands are not offered again.
(( $+functions[_rel_config_vars] )) ||
_rel_config_vars() {
    local -a reply used
    _rel_store_names config-vars
    used=(${(Q)words[1,CURRENT-1]} ${(Q)words[CURRENT+1,-1]})
    reply=(${reply:|used})
    _describe -t config-vars 'config var' reply
}

# _describe quotes what it inserts; a ':' in a name must be escaped for it.
(( $+functions[_rel_addons] )) ||
_rel_addons() {
    local -a reply addons
    local l
    _rel_store_names addons
    for l in $reply; do
        addons+=("${${l%%$'\t'*}//:/\\:}:${l#*$'\t'}")
    done
    _describe -t addons 'add-on' addons
}
