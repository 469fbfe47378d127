# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_rel_global_optspecs
    string join \n C= lock-timeout= q/quiet h/help V/version
end

function __fish_rel_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_rel_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_rel_using_subcommand
    set -l cmd (__fish_rel_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c rel -n "__fish_rel_needs_command" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_needs_command" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_needs_command" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rel -n "__fish_rel_needs_command" -s V -l version -d 'Print version'
complete -c rel -n "__fish_rel_needs_command" -f -a "init" -d 'Create a store in PATH (default: the working directory)'
complete -c rel -n "__fish_rel_needs_command" -f -a "deploy" -d 'Store a directory or tar stream as a slug, release it and switch to it'
complete -c rel -n "__fish_rel_needs_command" -f -a "releases" -d 'List the release history, newest first'
complete -c rel -n "__fish_rel_needs_command" -f -a "releases:retry" -d 'Run the newest release\'s release phase again, in a new release'
complete -c rel -n "__fish_rel_needs_command" -f -a "config" -d 'Show the current release\'s config vars'
complete -c rel -n "__fish_rel_needs_command" -f -a "config:set" -d 'Set config vars, making a new release'
complete -c rel -n "__fish_rel_needs_command" -f -a "addons" -d 'List the current release\'s add-ons'
complete -c rel -n "__fish_rel_needs_command" -f -a "addons:add" -d 'Add an add-on, making a new release'
complete -c rel -n "__fish_rel_needs_command" -f -a "status" -d 'Show the current release and anything out of sync'
complete -c rel -n "__fish_rel_needs_command" -f -a "push" -d 'Promote a release\'s slug to other app directories, here or over ssh'
complete -c rel -n "__fish_rel_needs_command" -f -a "serve" -d 'Serve rel push and read-only requests for a deploy key (forced command)'
complete -c rel -n "__fish_rel_needs_command" -f -a "write-slug" -d 'Store a directory or tar stream as a slug and print its id'
complete -c rel -n "__fish_rel_needs_command" -f -a "cat-object" -d 'Print an object\'s kind, size or content'
complete -c rel -n "__fish_rel_needs_command" -f -a "write-config" -d 'Store KEY=VALUE lines from standard input as a config and print its id'
complete -c rel -n "__fish_rel_needs_command" -f -a "fsck" -d 'Verify every object, manifest and reference in the store'
complete -c rel -n "__fish_rel_needs_command" -f -a "gc" -d 'Delete objects and checkouts that no kept release needs'
complete -c rel -n "__fish_rel_needs_command" -f -a "list-objects" -d 'Print the id of every object a slug needs, one a line'
complete -c rel -n "__fish_rel_needs_command" -f -a "missing-objects" -d 'Print which of the object ids on standard input the store lacks'
complete -c rel -n "__fish_rel_needs_command" -f -a "pack-objects" -d 'Write the objects named on standard input as a pack stream'
complete -c rel -n "__fish_rel_needs_command" -f -a "receive-pack" -d 'Store the objects of a pack stream read from standard input'
complete -c rel -n "__fish_rel_needs_command" -f -a "generate" -d 'Write man pages or shell completions into a directory, for packagers'
complete -c rel -n "__fish_rel_needs_command" -f -a "releases:info" -d 'Show one release'
complete -c rel -n "__fish_rel_needs_command" -f -a "releases:output" -d 'Print what the release hook printed for a release'
complete -c rel -n "__fish_rel_needs_command" -f -a "rollback" -d 'Make a new release that copies an earlier one\'s slug and config'
complete -c rel -n "__fish_rel_needs_command" -f -a "exec" -d 'Run a command in a release\'s checkout with its config vars'
complete -c rel -n "__fish_rel_needs_command" -f -a "diff" -d 'Show what changed between two releases'
complete -c rel -n "__fish_rel_needs_command" -f -a "write-release" -d 'Run the release phase and write a release manifest; print its version'
complete -c rel -n "__fish_rel_needs_command" -f -a "show-release" -d 'Print a release\'s manifest'
complete -c rel -n "__fish_rel_needs_command" -f -a "rev-parse" -d 'Resolve a revision to vN, or to its slug or config id'
complete -c rel -n "__fish_rel_needs_command" -f -a "activate" -d 'Make a release current and restart the app'
complete -c rel -n "__fish_rel_needs_command" -f -a "ls-slug" -d 'List the entries of a slug'
complete -c rel -n "__fish_rel_needs_command" -f -a "checkout-slug" -d 'Materialise a slug into a new or empty directory'
complete -c rel -n "__fish_rel_needs_command" -f -a "export-slug" -d 'Write a slug as a tar stream on standard output'
complete -c rel -n "__fish_rel_needs_command" -f -a "read-config" -d 'Print a config\'s vars as KEY=VALUE lines'
complete -c rel -n "__fish_rel_needs_command" -f -a "config:get" -d 'Print the value of one config var'
complete -c rel -n "__fish_rel_needs_command" -f -a "config:unset" -d 'Remove config vars, making a new release'
complete -c rel -n "__fish_rel_needs_command" -f -a "addons:remove" -d 'Remove an add-on and its config vars, making a new release'
complete -c rel -n "__fish_rel_needs_command" -f -a "addons:upgrade" -d 'Move an add-on to another plan, making a new release'
complete -c rel -n "__fish_rel_needs_command" -f -a "addons:downgrade" -d 'Move an add-on to another plan, making a new release'
complete -c rel -n "__fish_rel_using_subcommand init" -l name -d 'The app\'s name (default: the directory\'s name)' -r
complete -c rel -n "__fish_rel_using_subcommand init" -l group -d 'Let this group read the store, for an app that runs as another user' -r
complete -c rel -n "__fish_rel_using_subcommand init" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand init" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand init" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rel -n "__fish_rel_using_subcommand deploy" -l commit -d 'The source commit: an id, or a revision git resolves in SOURCE (default: HEAD of SOURCE when it is a git work tree)' -r
complete -c rel -n "__fish_rel_using_subcommand deploy" -l by -d 'Who deploys (default: REL_BY, else user@host)' -r
complete -c rel -n "__fish_rel_using_subcommand deploy" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand deploy" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand deploy" -l force -d 'Make a release even when the slug equals the current one'
complete -c rel -n "__fish_rel_using_subcommand deploy" -l no-restart -d 'Do not run the restart hook'
complete -c rel -n "__fish_rel_using_subcommand deploy" -l allow-empty -d 'Deploy even when SOURCE holds no files (a release that runs nothing)'
complete -c rel -n "__fish_rel_using_subcommand deploy" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand deploy" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rel -n "__fish_rel_using_subcommand releases" -s n -l num -d 'Show the N newest releases' -r
complete -c rel -n "__fish_rel_using_subcommand releases" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand releases" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand releases" -l date -d 'How to show When (default: relative under 24 hours, else local time)' -r -f -a "relative\t'5 minutes ago, 3 weeks ago: relative for every release, as git\'s'
iso\t'RFC 3339 in local time with its offset'"
complete -c rel -n "__fish_rel_using_subcommand releases" -l all -d 'Show the whole history'
complete -c rel -n "__fish_rel_using_subcommand releases" -l json -d 'Print a JSON array, newest first'
complete -c rel -n "__fish_rel_using_subcommand releases" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand releases" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rel -n "__fish_rel_using_subcommand releases:retry" -l by -d 'Who makes the change (default: REL_BY, else user@host)' -r
complete -c rel -n "__fish_rel_using_subcommand releases:retry" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand releases:retry" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand releases:retry" -l no-restart -d 'Do not run the restart hook'
complete -c rel -n "__fish_rel_using_subcommand releases:retry" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand releases:retry" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rel -n "__fish_rel_using_subcommand config" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand config" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand config" -l json -d 'Print a JSON object KEY → VALUE'
complete -c rel -n "__fish_rel_using_subcommand config" -s s -l shell -d 'Print KEY=\'VALUE\' lines that a shell reads back exactly'
complete -c rel -n "__fish_rel_using_subcommand config" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand config" -s h -l help -d 'Print help'
complete -c rel -n "__fish_rel_using_subcommand config:set" -l by -d 'Who makes the change (default: REL_BY, else user@host)' -r
complete -c rel -n "__fish_rel_using_subcommand config:set" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand config:set" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand config:set" -l no-restart -d 'Do not run the restart hook'
complete -c rel -n "__fish_rel_using_subcommand config:set" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand config:set" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rel -n "__fish_rel_using_subcommand addons" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand addons" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand addons" -l json -d 'Print a JSON array of {name, service, plan}'
complete -c rel -n "__fish_rel_using_subcommand addons" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand addons" -s h -l help -d 'Print help'
complete -c rel -n "__fish_rel_using_subcommand addons:add" -l as -d 'Name the add-on NAME instead of SERVICE' -r
complete -c rel -n "__fish_rel_using_subcommand addons:add" -l config -d 'A config var the add-on brings; it leaves with the add-on (repeatable)' -r
complete -c rel -n "__fish_rel_using_subcommand addons:add" -l by -d 'Who makes the change (default: REL_BY, else user@host)' -r
complete -c rel -n "__fish_rel_using_subcommand addons:add" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand addons:add" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand addons:add" -l no-restart -d 'Do not run the restart hook'
complete -c rel -n "__fish_rel_using_subcommand addons:add" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand addons:add" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rel -n "__fish_rel_using_subcommand status" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand status" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand status" -l json -d 'Print JSON'
complete -c rel -n "__fish_rel_using_subcommand status" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rel -n "__fish_rel_using_subcommand push" -l release -d 'The release whose slug is promoted' -r
complete -c rel -n "__fish_rel_using_subcommand push" -s j -l jobs -d 'Prepare up to N destinations at once' -r
complete -c rel -n "__fish_rel_using_subcommand push" -l ssh -d 'Run CMD (a shell command line) in place of ssh' -r
complete -c rel -n "__fish_rel_using_subcommand push" -l rel -d 'The rel binary on remote hosts' -r
complete -c rel -n "__fish_rel_using_subcommand push" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand push" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand push" -l with-config -d 'Also replace each destination\'s config vars with the release\'s'
complete -c rel -n "__fish_rel_using_subcommand push" -l no-restart -d 'Do not run the restart hooks'
complete -c rel -n "__fish_rel_using_subcommand push" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand push" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rel -n "__fish_rel_using_subcommand serve" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand serve" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand serve" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rel -n "__fish_rel_using_subcommand write-slug" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand write-slug" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand write-slug" -s n -l dry-run -d 'Only compute the slug id; store nothing (works outside a store)'
complete -c rel -n "__fish_rel_using_subcommand write-slug" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand write-slug" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rel -n "__fish_rel_using_subcommand cat-object" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand cat-object" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand cat-object" -s t -d 'Print the object\'s kind: blob, tree or config'
complete -c rel -n "__fish_rel_using_subcommand cat-object" -s s -d 'Print the object\'s size in bytes'
complete -c rel -n "__fish_rel_using_subcommand cat-object" -s p -d 'Print the content: a tree as ls-slug lines, others as they are (the default)'
complete -c rel -n "__fish_rel_using_subcommand cat-object" -l where -d 'Print where the object is stored: \'loose PATH\' or \'pack PATH OFFSET LENGTH\', paths relative to the store'
complete -c rel -n "__fish_rel_using_subcommand cat-object" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand cat-object" -s h -l help -d 'Print help'
complete -c rel -n "__fish_rel_using_subcommand write-config" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand write-config" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand write-config" -s z -d 'Read NUL-separated KEY=VALUE records (values may hold newlines)'
complete -c rel -n "__fish_rel_using_subcommand write-config" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand write-config" -s h -l help -d 'Print help'
complete -c rel -n "__fish_rel_using_subcommand fsck" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand fsck" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand fsck" -l repair -d 'Repair what can be repaired safely (a `current` link that lags CURRENT, temporary files of writers that are gone)'
complete -c rel -n "__fish_rel_using_subcommand fsck" -l json -d 'Print the report as JSON on stdout (the exit status is the same)'
complete -c rel -n "__fish_rel_using_subcommand fsck" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand fsck" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rel -n "__fish_rel_using_subcommand gc" -l keep -d 'Keep the artifacts of the N newest succeeded releases (default: settings.toml keep, else all)' -r
complete -c rel -n "__fish_rel_using_subcommand gc" -l grace -d 'Never delete objects younger than this (e.g. 30s, 10m, 1h, 2d)' -r
complete -c rel -n "__fish_rel_using_subcommand gc" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand gc" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand gc" -s n -l dry-run -d 'Say what would be deleted, delete nothing'
complete -c rel -n "__fish_rel_using_subcommand gc" -l json -d 'Print the report as JSON on stdout'
complete -c rel -n "__fish_rel_using_subcommand gc" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand gc" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rel -n "__fish_rel_using_subcommand list-objects" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand list-objects" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand list-objects" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand list-objects" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rel -n "__fish_rel_using_subcommand missing-objects" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand missing-objects" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand missing-objects" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand missing-objects" -s h -l help -d 'Print help'
complete -c rel -n "__fish_rel_using_subcommand pack-objects" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand pack-objects" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand pack-objects" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand pack-objects" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rel -n "__fish_rel_using_subcommand receive-pack" -l slug -d 'Refuse the pack unless this slug (a tree id or unique prefix) is complete with it' -r
complete -c rel -n "__fish_rel_using_subcommand receive-pack" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand receive-pack" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand receive-pack" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand receive-pack" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rel -n "__fish_rel_using_subcommand generate; and not __fish_seen_subcommand_from man completions" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand generate; and not __fish_seen_subcommand_from man completions" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand generate; and not __fish_seen_subcommand_from man completions" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand generate; and not __fish_seen_subcommand_from man completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rel -n "__fish_rel_using_subcommand generate; and not __fish_seen_subcommand_from man completions" -f -a "man" -d 'Write rel(1), a page per command, rel-store(5) and rel-hooks(5) into DIR'
complete -c rel -n "__fish_rel_using_subcommand generate; and not __fish_seen_subcommand_from man completions" -f -a "completions" -d 'Write bash (rel.bash), zsh (_rel) and fish (rel.fish) completions into DIR'
complete -c rel -n "__fish_rel_using_subcommand generate; and __fish_seen_subcommand_from man" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand generate; and __fish_seen_subcommand_from man" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand generate; and __fish_seen_subcommand_from man" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand generate; and __fish_seen_subcommand_from man" -s h -l help -d 'Print help'
complete -c rel -n "__fish_rel_using_subcommand generate; and __fish_seen_subcommand_from completions" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand generate; and __fish_seen_subcommand_from completions" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand generate; and __fish_seen_subcommand_from completions" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand generate; and __fish_seen_subcommand_from completions" -s h -l help -d 'Print help'
complete -c rel -n "__fish_rel_using_subcommand releases:info" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand releases:info" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand releases:info" -l date -d 'How to show When (default: relative under 24 hours, else local time)' -r -f -a "relative\t'5 minutes ago, 3 weeks ago: relative for every release, as git\'s'
iso\t'RFC 3339 in local time with its offset'"
complete -c rel -n "__fish_rel_using_subcommand releases:info" -l json -d 'Print JSON'
complete -c rel -n "__fish_rel_using_subcommand releases:info" -s s -l shell -d 'Print the release\'s config vars as KEY=\'VALUE\' lines for a shell'
complete -c rel -n "__fish_rel_using_subcommand releases:info" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand releases:info" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rel -n "__fish_rel_using_subcommand releases:output" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand releases:output" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand releases:output" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand releases:output" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rel -n "__fish_rel_using_subcommand rollback" -l by -d 'Who makes the change (default: REL_BY, else user@host)' -r
complete -c rel -n "__fish_rel_using_subcommand rollback" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand rollback" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand rollback" -l no-restart -d 'Do not run the restart hook'
complete -c rel -n "__fish_rel_using_subcommand rollback" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand rollback" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rel -n "__fish_rel_using_subcommand exec" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand exec" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand exec" -l release -d 'The release to run (default: current)' -r -f -a "(__fish_rel_revisions)"
complete -c rel -n "__fish_rel_using_subcommand exec" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand exec" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rel -n "__fish_rel_using_subcommand diff" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand diff" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand diff" -l values -d 'Show config values, not only keys'
complete -c rel -n "__fish_rel_using_subcommand diff" -l stat -d 'Count changed files instead of listing them'
complete -c rel -n "__fish_rel_using_subcommand diff" -l json -d 'Print JSON (config values only with --values)'
complete -c rel -n "__fish_rel_using_subcommand diff" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand diff" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rel -n "__fish_rel_using_subcommand write-release" -l slug -d 'The slug (tree id or unique prefix)' -r
complete -c rel -n "__fish_rel_using_subcommand write-release" -l config -d 'The config (config id or unique prefix)' -r
complete -c rel -n "__fish_rel_using_subcommand write-release" -l addon -d 'An add-on of the release, as NAME=PLAN (PLAN is SERVICE or SERVICE:PLAN)' -r
complete -c rel -n "__fish_rel_using_subcommand write-release" -l base -d 'Keep the config (unless --config) and add-ons of REV; current before the first release means none' -r
complete -c rel -n "__fish_rel_using_subcommand write-release" -l change -d 'The change description, as in "Deploy 1a2b3c4"' -r
complete -c rel -n "__fish_rel_using_subcommand write-release" -l commit -d 'The source revision the slug was built from' -r
complete -c rel -n "__fish_rel_using_subcommand write-release" -l by -d 'Who makes the release (default: REL_BY, else user@host)' -r
complete -c rel -n "__fish_rel_using_subcommand write-release" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand write-release" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand write-release" -l copy-of -d 'Copy the slug, config and add-ons of REV (a rollback)' -r -f -a "(__fish_rel_revisions)"
complete -c rel -n "__fish_rel_using_subcommand write-release" -l dirty -d 'The slug came from a work tree of --commit with uncommitted changes'
complete -c rel -n "__fish_rel_using_subcommand write-release" -l no-hook -d 'Do not run the release hook'
complete -c rel -n "__fish_rel_using_subcommand write-release" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand write-release" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rel -n "__fish_rel_using_subcommand show-release" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand show-release" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand show-release" -l json -d 'Print JSON instead of the TOML manifest'
complete -c rel -n "__fish_rel_using_subcommand show-release" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand show-release" -s h -l help -d 'Print help'
complete -c rel -n "__fish_rel_using_subcommand rev-parse" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand rev-parse" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand rev-parse" -l slug -d 'Print the release\'s slug id'
complete -c rel -n "__fish_rel_using_subcommand rev-parse" -l config -d 'Print the release\'s config id'
complete -c rel -n "__fish_rel_using_subcommand rev-parse" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand rev-parse" -s h -l help -d 'Print help'
complete -c rel -n "__fish_rel_using_subcommand activate" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand activate" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand activate" -l no-restart -d 'Do not run the restart hook'
complete -c rel -n "__fish_rel_using_subcommand activate" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand activate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rel -n "__fish_rel_using_subcommand ls-slug" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand ls-slug" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand ls-slug" -s r -d 'List every entry below, with its full path'
complete -c rel -n "__fish_rel_using_subcommand ls-slug" -s z -d 'End each line with NUL and print names as they are'
complete -c rel -n "__fish_rel_using_subcommand ls-slug" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand ls-slug" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rel -n "__fish_rel_using_subcommand checkout-slug" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand checkout-slug" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand checkout-slug" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand checkout-slug" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rel -n "__fish_rel_using_subcommand export-slug" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand export-slug" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand export-slug" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand export-slug" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rel -n "__fish_rel_using_subcommand read-config" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand read-config" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand read-config" -s z -d 'Print NUL-separated records (values may hold newlines)'
complete -c rel -n "__fish_rel_using_subcommand read-config" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand read-config" -s h -l help -d 'Print help'
complete -c rel -n "__fish_rel_using_subcommand config:get" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand config:get" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand config:get" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand config:get" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rel -n "__fish_rel_using_subcommand config:unset" -l by -d 'Who makes the change (default: REL_BY, else user@host)' -r
complete -c rel -n "__fish_rel_using_subcommand config:unset" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand config:unset" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand config:unset" -l no-restart -d 'Do not run the restart hook'
complete -c rel -n "__fish_rel_using_subcommand config:unset" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand config:unset" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rel -n "__fish_rel_using_subcommand addons:remove" -l by -d 'Who makes the change (default: REL_BY, else user@host)' -r
complete -c rel -n "__fish_rel_using_subcommand addons:remove" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand addons:remove" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand addons:remove" -l no-restart -d 'Do not run the restart hook'
complete -c rel -n "__fish_rel_using_subcommand addons:remove" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand addons:remove" -s h -l help -d 'Print help'
complete -c rel -n "__fish_rel_using_subcommand addons:upgrade" -l by -d 'Who makes the change (default: REL_BY, else user@host)' -r
complete -c rel -n "__fish_rel_using_subcommand addons:upgrade" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand addons:upgrade" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand addons:upgrade" -l no-restart -d 'Do not run the restart hook'
complete -c rel -n "__fish_rel_using_subcommand addons:upgrade" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand addons:upgrade" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rel -n "__fish_rel_using_subcommand addons:downgrade" -l by -d 'Who makes the change (default: REL_BY, else user@host)' -r
complete -c rel -n "__fish_rel_using_subcommand addons:downgrade" -s C -d 'Run as if rel was started in PATH' -r -F
complete -c rel -n "__fish_rel_using_subcommand addons:downgrade" -l lock-timeout -d 'Fail instead of waiting more than SECS seconds for the store\'s lock' -r
complete -c rel -n "__fish_rel_using_subcommand addons:downgrade" -l no-restart -d 'Do not run the restart hook'
complete -c rel -n "__fish_rel_using_subcommand addons:downgrade" -s q -l quiet -d 'Print no status lines or progress, only data, warnings and errors'
complete -c rel -n "__fish_rel_using_subcommand addons:downgrade" -s h -l help -d 'Print help (see more with \'--help\')'

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
complete -c rel -n "__fish_rel_using_subcommand releases:info" -f -a "(__fish_rel_revisions)"
complete -c rel -n "__fish_rel_using_subcommand releases:output" -f -a "(__fish_rel_revisions)"
complete -c rel -n "__fish_rel_using_subcommand rollback" -f -a "(__fish_rel_revisions)"
complete -c rel -n "__fish_rel_using_subcommand diff" -f -a "(__fish_rel_revisions)"
complete -c rel -n "__fish_rel_using_subcommand show-release" -f -a "(__fish_rel_revisions)"
complete -c rel -n "__fish_rel_using_subcommand rev-parse" -f -a "(__fish_rel_revisions)"
complete -c rel -n "__fish_rel_using_subcommand activate" -f -a "(__fish_rel_revisions)"
complete -c rel -n "__fish_rel_using_subcommand ls-slug" -a "(__fish_rel_revisions)"
complete -c rel -n "__fish_rel_using_subcommand checkout-slug" -a "(__fish_rel_revisions)"
complete -c rel -n "__fish_rel_using_subcommand export-slug" -f -a "(__fish_rel_revisions)"
complete -c rel -n "__fish_rel_using_subcommand read-config" -f -a "(__fish_rel_revisions)"
complete -c rel -n "__fish_rel_using_subcommand config:get; and __fish_rel_operand 1" -f -a "(__fish_rel_names config-vars)"
complete -c rel -n "__fish_rel_using_subcommand config:unset; and __fish_rel_operand 1+ --by" -f -a "(__fish_rel_names config-vars)"
complete -c rel -n "__fish_rel_using_subcommand addons:remove; and __fish_rel_operand 1 --by" -f -a "(__fish_rel_names addons)"
complete -c rel -n "__fish_rel_using_subcommand addons:upgrade; and __fish_rel_operand 1 --by" -f -a "(__fish_rel_names addons)"
complete -c rel -n "__fish_rel_using_subcommand addons:downgrade; and __fish_rel_operand 1 --by" -f -a "(__fish_rel_names addons)"
