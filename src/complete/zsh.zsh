
# Added by 'rel generate completions': the store's releases, for arguments
# that name one; -C given on the command line is honoured.
(( $+functions[_rel_revisions] )) ||
_rel_revisions() {
    local -a line revs dir
    local i
    line=(${(z)LBUFFER})
    for (( i = 2; i < ${#line}; i++ )); do
        case ${line[i]} in
        (-C) dir=(-C ${(Q)line[i+1]/#\~/$HOME}) ;;
        (-C?*) dir=(-C ${(Q)line[i]#-C}) ;;
        esac
    done
    revs=(${(f)"$(command rel $dir __complete-revisions 2>/dev/null)"})
    revs=(${revs/$'\t'/:})
    _describe -t revisions 'release' revs
}

