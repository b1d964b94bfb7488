#include "core/tee/tee.h"

namespace warden::tee {

smccc::Result handle_call(Vcpu&, const smccc::Call&, smccc::Conduit) {
    return smccc::Result::not_supported();
}

}  // namespace warden::tee
