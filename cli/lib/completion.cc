// SPDX-License-Identifier: Apache-2.0
#include "completion.h"

namespace warden::cli {

std::string_view bash_completion() {
    return R"SH(# bash completion for wardenctl: source it, or install it as
# /etc/bash_completion.d/wardenctl (wardenctl completion bash > ...).
_wardenctl_guests() {
    wardenctl "$@" guest list 2>/dev/null | awk 'NR > 1 { print $1 }'
}

_wardenctl() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    local cmd="" sub="" w i globals=()
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        case $w in
        --socket | --timeout)
            globals+=("$w" "${COMP_WORDS[i + 1]}")
            ((i++))
            continue
            ;;
        -o | --output | --config | --name | --kernel | --initrd | --memory | --vcpus | --tee | \
            --tee-method | --bootargs | --method)
            ((i++))
            continue
            ;;
        -*) continue ;;
        esac
        if [[ -z $cmd ]]; then
            cmd=$w
        elif [[ -z $sub ]]; then
            sub=$w
        fi
    done
    case $prev in
    -o | --output) COMPREPLY=($(compgen -W "table json" -- "$cur")); return ;;
    --tee) COMPREPLY=($(compgen -W "optee none" -- "$cur")); return ;;
    --tee-method | --method) COMPREPLY=($(compgen -W "smc hvc" -- "$cur")); return ;;
    --config | --kernel | --initrd | --socket) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --name | --memory | --vcpus | --bootargs | --timeout) return ;;
    esac
    local words=""
    case $cmd/$sub in
    /) words="guest tee health completion --socket --output --timeout --help" ;;
    guest/) words="create list get start stop destroy" ;;
    guest/create)
        words="--config --name --kernel --initrd --memory --vcpus --tee --tee-method --bootargs"
        words+=" --start --validate-only"
        ;;
    guest/get | guest/start | guest/stop) words=$(_wardenctl_guests "${globals[@]}") ;;
    guest/destroy) words="--allow-missing $(_wardenctl_guests "${globals[@]}")" ;;
    tee/) words="caps enable disable get watch" ;;
    tee/enable) words="--method $(_wardenctl_guests "${globals[@]}")" ;;
    tee/disable | tee/get) words=$(_wardenctl_guests "${globals[@]}") ;;
    completion/) words="bash" ;;
    esac
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _wardenctl wardenctl
)SH";
}

}  // namespace warden::cli
