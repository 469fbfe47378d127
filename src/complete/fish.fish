
# Added by 'rel generate completions': the store's releases, for arguments
# that name one; -C given on the command line is honoured.
function __fish_rel_revisions
    set -l cmd (commandline -opc)
    set -e cmd[1]
    set -l dir
    argparse -s (__fish_rel_global_optspecs) -- $cmd 2>/dev/null
    and set -q _flag_C
    and set dir -C $_flag_C[-1]
    command rel $dir __complete-revisions 2>/dev/null
end
