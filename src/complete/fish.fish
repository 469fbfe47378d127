
# Added by 'rel generate completions': the store's releases, the current
# release's config vars and add-ons, for arguments that name one; -C given
# on the command line is honoured.
function __fish_rel_names
    # argparse leaves the operands in argv.
    set -l kind $argv[1]
    set -l cmd (commandline -opc)
    set -e cmd[1]
    set -l dir
    argparse -s (__fish_rel_global_optspecs) -- $cmd 2>/dev/null
    and set -q _flag_C
    and set dir -C $_flag_C[-1]
    for line in (command rel $dir __complete-$kind 2>/dev/null)
        # Config vars already on the line are not offered again.
        if test $kind = config-vars; and contains -- $line $cmd
            continue
        end
        printf '%s\n' $line
    end
end

function __fish_rel_revisions
    __fish_rel_names revisions
end

# Whether the token being completed is operand N of the command (N+: operand
# N or a later one); the other arguments are options that take a value.
function __fish_rel_operand
    set -l want (string trim -r -c + -- $argv[1])
    set -l takes -C --lock-timeout $argv[2..-1]
    set -l n 0
    set -l skip 0
    set -l sub 0
    set -l cmd (commandline -opc)
    set -e cmd[1]
    for w in $cmd
        if test $skip = 1
            set skip 0
        else if contains -- $w $takes
            set skip 1
        else if string match -q -- '-*' $w
            continue
        else if test $sub = 0
            set sub 1
        else
            set n (math $n + 1)
        end
    end
    set -l cur (commandline -ct)
    string match -q -- '-*' "$cur"; and return 1
    set n (math $n + 1)
    if string match -q -- '*+' $argv[1]
        test $n -ge $want
    else
        test $n -eq $want
    end
end
