_rel() {
    local i cur prev opts cmd
    COMPREPLY=()
    if [[ "${BASH_VERSINFO[0]}" -ge 4 ]]; then
        cur="$2"
    else
        cur="${COMP_WORDS[COMP_CWORD]}"
    fi
    prev="$3"
    cmd=""
    opts=""

    for i in "${COMP_WORDS[@]:0:COMP_CWORD}"
    do
        case "${cmd},${i}" in
            ",$1")
                cmd="rel"
                ;;
            rel,activate)
                cmd="rel__subcmd__activate"
                ;;
            rel,addons)
                cmd="rel__subcmd__addons"
                ;;
            rel,addons:add)
                cmd="rel__subcmd__addons:add"
                ;;
            rel,addons:downgrade)
                cmd="rel__subcmd__addons:downgrade"
                ;;
            rel,addons:remove)
                cmd="rel__subcmd__addons:remove"
                ;;
            rel,addons:upgrade)
                cmd="rel__subcmd__addons:upgrade"
                ;;
            rel,cat-object)
                cmd="rel__subcmd__cat__subcmd__object"
                ;;
            rel,checkout-slug)
                cmd="rel__subcmd__checkout__subcmd__slug"
                ;;
            rel,config)
                cmd="rel__subcmd__config"
                ;;
            rel,config:get)
                cmd="rel__subcmd__config:get"
                ;;
            rel,config:set)
                cmd="rel__subcmd__config:set"
                ;;
            rel,config:unset)
                cmd="rel__subcmd__config:unset"
                ;;
            rel,deploy)
                cmd="rel__subcmd__deploy"
                ;;
            rel,diff)
                cmd="rel__subcmd__diff"
                ;;
            rel,exec)
                cmd="rel__subcmd__exec"
                ;;
            rel,export-slug)
                cmd="rel__subcmd__export__subcmd__slug"
                ;;
            rel,fsck)
                cmd="rel__subcmd__fsck"
                ;;
            rel,gc)
                cmd="rel__subcmd__gc"
                ;;
            rel,generate)
                cmd="rel__subcmd__generate"
                ;;
            rel,init)
                cmd="rel__subcmd__init"
                ;;
            rel,list-objects)
                cmd="rel__subcmd__list__subcmd__objects"
                ;;
            rel,ls-slug)
                cmd="rel__subcmd__ls__subcmd__slug"
                ;;
            rel,missing-objects)
                cmd="rel__subcmd__missing__subcmd__objects"
                ;;
            rel,pack-objects)
                cmd="rel__subcmd__pack__subcmd__objects"
                ;;
            rel,push)
                cmd="rel__subcmd__push"
                ;;
            rel,read-config)
                cmd="rel__subcmd__read__subcmd__config"
                ;;
            rel,receive-pack)
                cmd="rel__subcmd__receive__subcmd__pack"
                ;;
            rel,releases)
                cmd="rel__subcmd__releases"
                ;;
            rel,releases:info)
                cmd="rel__subcmd__releases:info"
                ;;
            rel,releases:output)
                cmd="rel__subcmd__releases:output"
                ;;
            rel,releases:retry)
                cmd="rel__subcmd__releases:retry"
                ;;
            rel,rev-parse)
                cmd="rel__subcmd__rev__subcmd__parse"
                ;;
            rel,rollback)
                cmd="rel__subcmd__rollback"
                ;;
            rel,serve)
                cmd="rel__subcmd__serve"
                ;;
            rel,show-release)
                cmd="rel__subcmd__show__subcmd__release"
                ;;
            rel,status)
                cmd="rel__subcmd__status"
                ;;
            rel,write-config)
                cmd="rel__subcmd__write__subcmd__config"
                ;;
            rel,write-release)
                cmd="rel__subcmd__write__subcmd__release"
                ;;
            rel,write-slug)
                cmd="rel__subcmd__write__subcmd__slug"
                ;;
            rel__subcmd__generate,completions)
                cmd="rel__subcmd__generate__subcmd__completions"
                ;;
            rel__subcmd__generate,man)
                cmd="rel__subcmd__generate__subcmd__man"
                ;;
            *)
                ;;
        esac
    done

    case "${cmd}" in
        rel)
            opts="-C -q -h -V --lock-timeout --quiet --help --version init deploy releases releases:retry config config:set addons addons:add status push serve write-slug cat-object write-config fsck gc list-objects missing-objects pack-objects receive-pack generate releases:info releases:output rollback exec diff write-release show-release rev-parse activate ls-slug checkout-slug export-slug read-config config:get config:unset addons:remove addons:upgrade addons:downgrade"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 1 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__activate)
            opts="-C -q -h --no-restart --lock-timeout --quiet --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__addons)
            opts="-C -q -h --json --lock-timeout --quiet --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__addons:add)
            opts="-C -q -h --as --config --by --no-restart --lock-timeout --quiet --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --as)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --by)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__addons:downgrade)
            opts="-C -q -h --by --no-restart --lock-timeout --quiet --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --by)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__addons:remove)
            opts="-C -q -h --by --no-restart --lock-timeout --quiet --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --by)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__addons:upgrade)
            opts="-C -q -h --by --no-restart --lock-timeout --quiet --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --by)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__cat__subcmd__object)
            opts="-t -s -p -C -q -h --where --lock-timeout --quiet --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__checkout__subcmd__slug)
            opts="-C -q -h --lock-timeout --quiet --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__config)
            opts="-s -C -q -h --json --shell --lock-timeout --quiet --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__config:get)
            opts="-C -q -h --lock-timeout --quiet --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__config:set)
            opts="-C -q -h --by --no-restart --lock-timeout --quiet --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --by)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__config:unset)
            opts="-C -q -h --by --no-restart --lock-timeout --quiet --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --by)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__deploy)
            opts="-C -q -h --commit --by --force --no-restart --allow-empty --lock-timeout --quiet --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --commit)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --by)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__diff)
            opts="-C -q -h --values --stat --json --lock-timeout --quiet --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__exec)
            opts="-C -q -h --lock-timeout --quiet --help --release"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --release)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__export__subcmd__slug)
            opts="-C -q -h --lock-timeout --quiet --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__fsck)
            opts="-C -q -h --repair --json --lock-timeout --quiet --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__gc)
            opts="-n -C -q -h --keep --grace --dry-run --json --lock-timeout --quiet --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --keep)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --grace)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__generate)
            opts="-C -q -h --lock-timeout --quiet --help man completions"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__generate__subcmd__completions)
            opts="-C -q -h --lock-timeout --quiet --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__generate__subcmd__man)
            opts="-C -q -h --lock-timeout --quiet --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__init)
            opts="-C -q -h --name --group --lock-timeout --quiet --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --name)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --group)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__list__subcmd__objects)
            opts="-C -q -h --lock-timeout --quiet --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__ls__subcmd__slug)
            opts="-r -z -C -q -h --lock-timeout --quiet --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__missing__subcmd__objects)
            opts="-C -q -h --lock-timeout --quiet --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__pack__subcmd__objects)
            opts="-C -q -h --lock-timeout --quiet --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__push)
            opts="-j -C -q -h --release --with-config --jobs --no-restart --ssh --rel --lock-timeout --quiet --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --release)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --jobs)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -j)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --ssh)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --rel)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__read__subcmd__config)
            opts="-z -C -q -h --lock-timeout --quiet --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__receive__subcmd__pack)
            opts="-C -q -h --slug --lock-timeout --quiet --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --slug)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__releases)
            opts="-n -C -q -h --num --all --json --lock-timeout --quiet --help --date"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --num)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -n)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --date)
                    COMPREPLY=($(compgen -W "relative iso" -- "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__releases:info)
            opts="-s -C -q -h --json --shell --lock-timeout --quiet --help --date"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --date)
                    COMPREPLY=($(compgen -W "relative iso" -- "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__releases:output)
            opts="-C -q -h --lock-timeout --quiet --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__releases:retry)
            opts="-C -q -h --by --no-restart --lock-timeout --quiet --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --by)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__rev__subcmd__parse)
            opts="-C -q -h --slug --config --lock-timeout --quiet --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__rollback)
            opts="-C -q -h --by --no-restart --lock-timeout --quiet --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --by)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__serve)
            opts="-C -q -h --lock-timeout --quiet --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__show__subcmd__release)
            opts="-C -q -h --json --lock-timeout --quiet --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__status)
            opts="-C -q -h --json --lock-timeout --quiet --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__write__subcmd__config)
            opts="-z -C -q -h --lock-timeout --quiet --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__write__subcmd__release)
            opts="-C -q -h --slug --config --addon --base --change --commit --dirty --by --no-hook --lock-timeout --quiet --help --copy-of"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --slug)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --addon)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --base)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --change)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --commit)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --by)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --copy-of)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        rel__subcmd__write__subcmd__slug)
            opts="-n -C -q -h --dry-run --lock-timeout --quiet --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --lock-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
    esac
}


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
    releases:info)
        takes=" --date"
        revopts=""
        pos="revisions"
        more=""
        ;;
    releases:output)
        takes=""
        revopts=""
        pos="revisions"
        more=""
        ;;
    rollback)
        takes=" --by"
        revopts=""
        pos="revisions"
        more=""
        ;;
    exec)
        takes=" --release"
        revopts="--release"
        pos="-"
        more=""
        ;;
    diff)
        takes=""
        revopts=""
        pos="revisions revisions"
        more=""
        ;;
    write-release)
        takes=" --slug --config --addon --base --change --commit --by --copy-of"
        revopts="--copy-of"
        pos=""
        more=""
        ;;
    show-release)
        takes=""
        revopts=""
        pos="revisions"
        more=""
        ;;
    rev-parse)
        takes=""
        revopts=""
        pos="revisions"
        more=""
        ;;
    activate)
        takes=""
        revopts=""
        pos="revisions"
        more=""
        ;;
    ls-slug)
        takes=""
        revopts=""
        pos="revisions -"
        more=""
        ;;
    checkout-slug)
        takes=""
        revopts=""
        pos="revisions -"
        more=""
        ;;
    export-slug)
        takes=""
        revopts=""
        pos="revisions"
        more=""
        ;;
    read-config)
        takes=""
        revopts=""
        pos="revisions"
        more=""
        ;;
    config:get)
        takes=""
        revopts=""
        pos="config-vars"
        more=""
        ;;
    config:unset)
        takes=" --by"
        revopts=""
        pos="config-vars"
        more="config-vars"
        ;;
    addons:remove)
        takes=" --by"
        revopts=""
        pos="addons"
        more=""
        ;;
    addons:upgrade)
        takes=" --by"
        revopts=""
        pos="addons -"
        more=""
        ;;
    addons:downgrade)
        takes=" --by"
        revopts=""
        pos="addons -"
        more=""
        ;;
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
if [[ "${BASH_VERSINFO[0]}" -eq 4 && "${BASH_VERSINFO[1]}" -ge 4 || "${BASH_VERSINFO[0]}" -gt 4 ]]; then
    complete -F _rel_complete -o nosort -o bashdefault -o default rel
else
    complete -F _rel_complete -o bashdefault -o default rel
fi
