# bash completion for lunet(1)                            -*- shell-script -*-
#
# Installed as PREFIX/share/bash-completion/completions/lunet, which
# bash-completion loads the first time `lunet <Tab>` is pressed; without
# bash-completion, `source` this file.  It needs nothing from
# bash-completion: plain compgen, so that it behaves the same either way.

# Options of each command; a trailing "=" marks one that takes a value
# (lunet takes it after "=" or as the next word).
_lunet_opts_run='--seed= --realtime --ranks --bridge= --step --speed= --quiz --lang= --trace= --pcap= --report= --timeout= --color= --progress= --'
_lunet_opts_test='--seed= --filter= --tap --junit= --pcap= -v --verbose --timeout= --lang= --color= --progress= --help --'
_lunet_opts_repl='--seed= --bridge= --pcap= --lang= --trace= --color= --'
_lunet_opts_packetdrill='--tolerance_usecs= --tolerance_percent= --local_ip= --remote_ip= --gateway_ip= --netmask_ip= --bind_port= --connect_port= --mtu= --ip_version= --init_scripts= --strict_segments --seed= --pcap= --ladder --color= -D -v --verbose --help'

# COMPREPLY: the values of option $1 that start with $2.  (The helpers
# set COMPREPLY themselves: compopt in a $(...) subshell would be lost.)
_lunet_value()
{
    local IFS=$'\n'
    case $1 in
        --color|--progress)
            COMPREPLY=($(compgen -W $'auto\nalways\nnever' -- "$2")) ;;
        --lang)
            COMPREPLY=($(compgen -W $'en\nzh' -- "$2")) ;;
        --trace)
            # a comma-separated list: complete the word after the last comma
            local done=${2%,*} word=${2##*,}
            [[ $2 == *,* ]] && done="$done," || done=""
            COMPREPLY=($(compgen -P "$done" -W $'link\nswitch\narp\nip\nicmp\nigmp\nudp\ntcp\nall' -- "$word")) ;;
        --pcap|--report)
            compopt -o filenames 2>/dev/null
            COMPREPLY=($(compgen -d -- "$2")) ;;
        --junit)
            compopt -o filenames 2>/dev/null
            COMPREPLY=($(compgen -f -- "$2")) ;;
        # --seed (a number), --timeout (30s, 2m), --filter (a Lua pattern):
        # nothing to offer, and no file names either.
        *) COMPREPLY=() ;;
    esac
}

# COMPREPLY: scripts that start with $1, *.lua files and the directories
# on the way to them.
_lunet_scripts()
{
    local IFS=$'\n'
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen -d -- "$1") $(compgen -f -X '!*.lua' -- "$1"))
}

_lunet()
{
    local cur=${COMP_WORDS[COMP_CWORD]} cmd=${COMP_WORDS[1]}
    local IFS=$'\n' opt="" val prefix="" i w
    COMPREPLY=()

    if ((COMP_CWORD == 1)); then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W $'--help\n--version' -- "$cur"))
        else
            COMPREPLY=($(compgen -W $'run\ntest\nrepl\npacketdrill\nversion\nhelp' -- "$cur"))
        fi
        return 0
    fi
    if [[ $cmd == packetdrill ]]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "${_lunet_opts_packetdrill// /$'\n'}" -- "$cur"))
            [[ ${#COMPREPLY[@]} == 1 && ${COMPREPLY[0]} == *= ]] && compopt -o nospace 2>/dev/null
        else
            compopt -o filenames 2>/dev/null
            COMPREPLY=($(compgen -d -- "$cur") $(compgen -f -X '!*.pkt' -- "$cur"))
        fi
        return 0
    fi
    case $cmd in run|test|repl) ;; *) return 0 ;; esac

    # --opt=value: bash splits it at "=" (COMP_WORDBREAKS) into "--opt" "="
    # "value"; where it does not, the reply must carry the "--opt=".
    if [[ $cur == = ]]; then
        opt=${COMP_WORDS[COMP_CWORD-1]} val=""
    elif ((COMP_CWORD > 2)) && [[ ${COMP_WORDS[COMP_CWORD-1]} == = ]]; then
        opt=${COMP_WORDS[COMP_CWORD-2]} val=$cur
    elif [[ $cur == --*=* ]]; then
        opt=${cur%%=*} val=${cur#*=} prefix="$opt="
    fi
    if [[ -n $opt ]]; then
        _lunet_value "$opt" "$val"
        [[ -n $prefix ]] && COMPREPLY=("${COMPREPLY[@]/#/$prefix}")
        return 0
    fi

    # The words before the cursor, "--opt" "=" "value" glued back, to find
    # an option waiting for its value and whether the script came yet.
    local -a args=()
    for ((i = 2; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        if [[ $w == = || ${COMP_WORDS[i-1]} == = ]] && ((${#args[@]})); then
            args[${#args[@]}-1]+=$w
        else
            args+=("$w")
        fi
    done
    local script="" ended="" takes="--seed --pcap --report --timeout --junit --filter --color --progress"
    for ((i = 0; i < ${#args[@]}; i++)); do
        w=${args[i]}
        if [[ -n $ended || $w != -* || $w == - ]]; then
            script=$w
            [[ $cmd == test ]] || break
            continue
        fi
        if [[ $w == -- ]]; then
            ended=1
        elif [[ " $takes " == *" $w "* ]]; then
            if ((i + 1 == ${#args[@]})); then
                _lunet_value "$w" "$cur"
                return 0
            fi
            ((i++))
        fi
    done

    local optsvar=_lunet_opts_$cmd
    if [[ -z $ended && $cur == -* && ( $cmd == test || -z $script ) ]]; then
        COMPREPLY=($(compgen -W "${!optsvar// /$'\n'}" -- "$cur"))
        # "--color=" waits for its value on the same word.
        [[ ${#COMPREPLY[@]} == 1 && ${COMPREPLY[0]} == *= ]] && compopt -o nospace 2>/dev/null
        return 0
    fi
    if [[ $cmd != test && -n $script ]]; then
        # the script's own arguments: anything
        compopt -o default 2>/dev/null
        COMPREPLY=($(compgen -f -- "$cur"))
        return 0
    fi
    _lunet_scripts "$cur"
    return 0
}

complete -F _lunet lunet
