// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ICoordinator} from "./interfaces/ICoordinator.sol";

/// @title Coordinator: model registry, paid inference requests, bounded callbacks
/// @notice Consumers pay for a request on a registered model; the model's operator serves it
/// off chain and fulfils it here; the coordinator calls the consumer back with exactly the gas
/// it asked for. One storage slot per request holds a commitment (docs/coordinator.md).
/// @dev Checks-effects-interactions throughout: a request's slot is marked fulfilled or
/// cancelled, and balances are credited, before any external call. The only external calls
/// are the consumer callback (exact gas, no returndata copied, failure recorded) and ETH
/// transfers to the caller of {request} (excess refund) and {withdraw}.
contract Coordinator is ICoordinator {
    /// @notice Largest callback gas a request may ask for.
    uint32 public constant MAX_CALLBACK_GAS_LIMIT = 5_000_000;
    /// @notice Largest input (bytes) a request may carry: abi.encode(int256[]) of 4096
    /// values, the largest model input (docs/encoding.md).
    uint256 public constant MAX_INPUT_BYTES = 131_136;
    /// @notice Largest output (bytes) a fulfilment may carry (same bound).
    uint256 public constant MAX_OUTPUT_BYTES = 131_136;
    /// @notice Largest model fee in wei (fees are stored as uint88).
    uint256 public constant MAX_FEE = type(uint88).max;
    /// @notice Largest callback gas price in wei per gas.
    uint256 public constant MAX_CALLBACK_GAS_PRICE = type(uint128).max;

    /// @dev Gas kept back for the work between the 63/64 check and the CALL opcode (cold
    /// EXTCODESIZE 2600, CALL 100, stack and memory); as Chainlink's callWithExactGas.
    uint256 private constant GAS_FOR_CALL_EXACT_CHECK = 5_000;

    // Request slot layout (docs/coordinator.md): the top byte is the state.
    uint256 private constant STATE_SHIFT = 248;
    uint256 private constant STATE_PENDING = 1;
    uint256 private constant STATE_FULFILLED = 2;
    uint256 private constant STATE_CANCELLED = 3;
    uint256 private constant LOW_248 = (uint256(1) << 248) - 1;
    // Fulfilled: state(8) | callbackSuccess(8) | fulfilledAt(40) | resultHash(200)
    uint256 private constant CALLBACK_OK_BIT = uint256(1) << 240;
    uint256 private constant TIME_SHIFT = 200;
    uint256 private constant LOW_200 = (uint256(1) << 200) - 1;

    /// @notice Seconds from a request until its requester may cancel it.
    uint64 public immutable requestTimeout;

    uint256 public modelCount;

    mapping(uint256 modelId => Model) private _models;
    mapping(uint256 requestId => uint256) private _slots;
    mapping(address account => uint256) private _balances;
    mapping(address operator => uint256) private _callbackGasPrice;

    /// @param requestTimeout_ seconds after a request before its requester may cancel it
    constructor(uint64 requestTimeout_) {
        requestTimeout = requestTimeout_;
    }

    // ------------------------------------------------------------------ model registry

    /// @notice Registers a model served by msg.sender.
    /// @param modelHash keccak256 of the qmodel file (docs/qmodel.md); must be non-zero
    /// @param uri where the file can be fetched
    /// @param fee wei per request, on top of callback gas (see {quote})
    /// @param inputSize number of input values the model takes
    /// @param outputSize number of output values it returns
    /// @return modelId the new model's id (1, 2, ...)
    function registerModel(bytes32 modelHash, string calldata uri, uint256 fee, uint32 inputSize, uint32 outputSize)
        external
        returns (uint256 modelId)
    {
        if (modelHash == bytes32(0)) revert InvalidModelHash();
        if (fee > MAX_FEE) revert FeeTooHigh(fee);
        if (inputSize == 0 || outputSize == 0) revert InvalidSize();
        modelId = ++modelCount;
        Model storage m = _models[modelId];
        m.operator = msg.sender;
        // forge-lint: disable-next-line(unsafe-typecast) -- fee <= MAX_FEE checked above
        m.fee = uint88(fee);
        m.active = true;
        m.modelHash = modelHash;
        m.inputSize = inputSize;
        m.outputSize = outputSize;
        m.uri = uri;
        emit ModelRegistered(modelId, msg.sender, modelHash, uri, fee, inputSize, outputSize);
    }

    /// @notice Changes a model's fee; requests already made keep the price they paid.
    function setModelFee(uint256 modelId, uint256 fee) external {
        Model storage m = _operatorModel(modelId);
        if (fee > MAX_FEE) revert FeeTooHigh(fee);
        // forge-lint: disable-next-line(unsafe-typecast) -- fee <= MAX_FEE checked above
        m.fee = uint88(fee);
        emit ModelFeeChanged(modelId, fee);
    }

    /// @notice Retires a model: no new requests. Pending requests can still be fulfilled
    /// (or cancelled after their deadline).
    function retireModel(uint256 modelId) external {
        Model storage m = _operatorModel(modelId);
        m.active = false;
        emit ModelRetired(modelId);
    }

    /// @notice Sets the wei per callback gas unit msg.sender charges on its models'
    /// requests. Requests already made keep the price they paid.
    function setCallbackGasPrice(uint256 weiPerGas) external {
        if (weiPerGas > MAX_CALLBACK_GAS_PRICE) revert GasPriceTooHigh(weiPerGas);
        _callbackGasPrice[msg.sender] = weiPerGas;
        emit CallbackGasPriceChanged(msg.sender, weiPerGas);
    }

    // ------------------------------------------------------------------ requests

    /// @notice Price of a request: the model's fee plus callbackGasLimit times its
    /// operator's callback gas price. Reverts if the model is not active.
    function quote(uint256 modelId, uint32 callbackGasLimit) external view returns (uint256) {
        Model storage m = _models[modelId];
        if (!m.active) revert ModelNotActive(modelId);
        return uint256(m.fee) + uint256(callbackGasLimit) * _callbackGasPrice[m.operator];
    }

    /// @notice Requests an inference. Pays at least {quote}; the quote is escrowed and any
    /// excess is refunded to msg.sender in the same call.
    /// @param input opaque to the coordinator; by convention abi.encode(int256[]) with
    /// values in 1e18 fixed point (docs/encoding.md)
    /// @param callback contract to call back, or address(0) for none
    /// @param selector function called as selector(uint256 requestId, bytes output, uint32 errorCode)
    /// @param callbackGasLimit exact gas the callback will receive
    /// @return requestId id of the request; see {Requested}
    function request(uint256 modelId, bytes calldata input, address callback, bytes4 selector, uint32 callbackGasLimit)
        external
        payable
        returns (uint256 requestId)
    {
        uint256 price;
        uint256 q; // memory: the commitment words and the event data, see below
        {
            Model storage m = _models[modelId];
            address operator = m.operator;
            if (!m.active) revert ModelNotActive(modelId);
            if (callbackGasLimit > MAX_CALLBACK_GAS_LIMIT) {
                revert CallbackGasLimitTooHigh(callbackGasLimit, MAX_CALLBACK_GAS_LIMIT);
            }
            if (input.length > MAX_INPUT_BYTES) revert InputTooLarge(input.length, MAX_INPUT_BYTES);
            price = uint256(m.fee) + uint256(callbackGasLimit) * _callbackGasPrice[operator];
            if (msg.value < price) revert InsufficientPayment(price, msg.value);
            uint256 deadline = uint64(block.timestamp) + requestTimeout;
            // The ten commitment words (requestId, modelId, requester, callback, selector, gas
            // limit, deadline, payment, inputHash, operator) are laid out in free memory so that
            // five of them are also the head of the Requested event's data:
            //   q-0x60 id | q-0x40 modelId | q-0x20 requester | q callback | q+0x20 selector |
            //   q+0x40 gasLimit | q+0x60 deadline | q+0x80 payment | q+0xa0 inputHash, then 0xc0 |
            //   q+0xc0 operator, then input.length | q+0xe0 input, zero-padded
            // The id is the keccak of those words with 0 in the id word: no counter is stored.
            // The ten words are allocated; the input copy after them is only scratch for the
            // keccak and the log.
            assembly ("memory-safe") {
                let p := mload(0x40)
                mstore(0x40, add(p, 0x140))
                q := add(p, 0x60)
                mstore(sub(q, 0x60), 0)
                mstore(sub(q, 0x40), modelId)
                mstore(sub(q, 0x20), caller())
                mstore(q, callback)
                mstore(add(q, 0x20), selector)
                mstore(add(q, 0x40), callbackGasLimit)
                mstore(add(q, 0x60), deadline)
                mstore(add(q, 0x80), price)
                mstore(add(q, 0xc0), operator)
            }
        }
        {
            uint256 pending;
            bytes32 topic0 = Requested.selector;
            assembly ("memory-safe") {
                let len := input.length
                calldatacopy(add(q, 0xe0), input.offset, len)
                mstore(add(add(q, 0xe0), len), 0)
                mstore(add(q, 0xa0), keccak256(add(q, 0xe0), len))
                requestId := keccak256(sub(q, 0x60), 0x140)
                // Taken (identical fields in the same second, i.e. same requester, model, input,
                // callback, gas limit and price): re-hash until free. Within one transaction each
                // step costs a warm SLOAD; across transactions a cold one, paid by the later one.
                for {} 1 {} {
                    mstore(0x00, requestId)
                    mstore(0x20, _slots.slot)
                    if iszero(sload(keccak256(0x00, 0x40))) { break }
                    requestId := keccak256(0x00, 0x20)
                }
                mstore(sub(q, 0x60), requestId)
                pending := or(shl(248, 1), and(keccak256(sub(q, 0x60), 0x140), sub(shl(248, 1), 1)))
                mstore(add(q, 0xa0), 0xc0)
                mstore(add(q, 0xc0), len)
                log4(q, add(0xe0, and(add(len, 31), not(31))), topic0, requestId, mload(sub(q, 0x40)), caller())
            }
            _slots[requestId] = pending;
        }

        if (msg.value > price) {
            unchecked {
                _send(payable(msg.sender), msg.value - price);
            }
        }
    }

    // ------------------------------------------------------------------ fulfilment

    /// @notice Fulfils a pending request: only the operator of its model, exactly once. Pays
    /// the operator (credited to its {balanceOf}) and calls the consumer back with exactly
    /// `req.callbackGasLimit` gas. A callback that reverts, runs out of gas or returns any
    /// amount of data never makes this revert; its success is recorded and emitted.
    /// @param req the request's fields, exactly as emitted in {Requested}
    /// @param output the answer (by convention abi.encode(int256[]) in 1e18 fixed point)
    /// @param errorCode 0 for success, otherwise why the operator could not compute
    /// @return callbackSuccess whether the callback ran without reverting
    function fulfill(Request calldata req, bytes calldata output, uint32 errorCode)
        external
        returns (bool callbackSuccess)
    {
        uint256 slot = _slots[req.requestId];
        uint256 pending = _pendingSlot(_requestHashCd(req, msg.sender));
        if (slot != pending) _revertMismatch(req, slot);
        _balances[msg.sender] += req.payment;
        return _fulfil(req, pending, output, errorCode);
    }

    /// @notice Fulfils many requests in one transaction. An item that is not pending (already
    /// fulfilled, cancelled, unknown) or whose fields do not match its commitment (including
    /// a caller that is not the model's operator) is skipped with {FulfilmentSkipped} rather
    /// than reverting the batch. Insufficient gas for any item's callback reverts the whole
    /// batch, so that gas estimation never yields a batch that silently drops items.
    /// @return served number of items fulfilled
    function fulfillBatch(Fulfilment[] calldata items) external returns (uint256 served) {
        uint256 n = items.length;
        uint256 earned;
        for (uint256 i; i < n;) {
            Fulfilment calldata it = items[i];
            Request calldata req = it.req;
            uint256 slot = _slots[req.requestId];
            uint256 pending = _pendingSlot(_requestHashCd(req, msg.sender));
            if (slot == pending) {
                earned += req.payment;
                _fulfil(req, pending, it.output, it.errorCode);
                unchecked {
                    ++served;
                }
            } else {
                emit FulfilmentSkipped(req.requestId, _skipReason(slot));
            }
            unchecked {
                ++i;
            }
        }
        // Credited once at the end (a callback that re-enters sees the balance without this
        // batch's earnings, which only delays them; every slot was marked before its callback).
        if (earned != 0) _balances[msg.sender] += earned;
    }

    /// @notice Cancels a pending request after its deadline and refunds its payment to the
    /// requester's {balanceOf} (withdraw it with {withdraw}). Only the requester may cancel.
    /// @param req the request's fields, exactly as emitted in {Requested}
    function cancel(Request calldata req) external {
        if (msg.sender != req.requester) revert NotRequester(req.requestId, msg.sender);
        uint256 slot = _slots[req.requestId];
        if (slot >> STATE_SHIFT != STATE_PENDING) _revertNotPending(req.requestId, slot);
        address operator = _models[req.modelId].operator;
        if (slot != _pendingSlot(_requestHashCd(req, operator))) revert RequestMismatch(req.requestId);
        if (block.timestamp <= req.deadline) revert DeadlineNotReached(req.requestId, req.deadline);
        _slots[req.requestId] = (STATE_CANCELLED << STATE_SHIFT) | (slot & LOW_248);
        _balances[msg.sender] += req.payment;
        emit Cancelled(req.requestId, msg.sender, req.payment);
    }

    /// @notice Sends msg.sender's whole balance (operator earnings, refunds) to `to`.
    function withdraw(address payable to) external {
        uint256 amount = _balances[msg.sender];
        if (amount == 0) revert NothingToWithdraw();
        _balances[msg.sender] = 0;
        emit Withdrawn(msg.sender, to, amount);
        _send(to, amount);
    }

    // ------------------------------------------------------------------ views

    /// @notice Everything stored about a model (operator address(0) if unknown).
    function getModel(uint256 modelId) external view returns (Model memory) {
        return _models[modelId];
    }

    /// @notice The state of a request's slot.
    function requestState(uint256 requestId) external view returns (RequestState) {
        return RequestState(_slots[requestId] >> STATE_SHIFT);
    }

    /// @notice The raw request slot (layout in docs/coordinator.md).
    function commitmentOf(uint256 requestId) external view returns (bytes32) {
        return bytes32(_slots[requestId]);
    }

    /// @notice Whether the callback of a fulfilled request ran without reverting.
    function callbackSucceeded(uint256 requestId) external view returns (bool) {
        uint256 slot = _slots[requestId];
        return slot >> STATE_SHIFT == STATE_FULFILLED && slot & CALLBACK_OK_BIT != 0;
    }

    /// @notice Block timestamp of a request's fulfilment (0 if not fulfilled).
    function fulfilledAt(uint256 requestId) external view returns (uint64) {
        uint256 slot = _slots[requestId];
        if (slot >> STATE_SHIFT != STATE_FULFILLED) return 0;
        return uint64((slot >> TIME_SHIFT) & type(uint40).max);
    }

    /// @notice Withdrawable wei of an account (operator earnings, refunds of cancelled requests).
    function balanceOf(address account) external view returns (uint256) {
        return _balances[account];
    }

    /// @notice The wei per callback gas unit an operator charges.
    function callbackGasPrice(address operator) external view returns (uint256) {
        return _callbackGasPrice[operator];
    }

    /// @notice The pending-request slot value for `req` served by `operator`.
    function requestCommitment(Request calldata req, address operator) external pure returns (bytes32) {
        return bytes32(_pendingSlot(_requestHashCd(req, operator)));
    }

    /// @notice The result hash folded into a fulfilled slot (low 200 bits are stored).
    function resultHash(Request calldata req, address operator, bytes calldata output, uint32 errorCode)
        external
        pure
        returns (bytes32)
    {
        return _resultHash(_pendingSlot(_requestHashCd(req, operator)), keccak256(output), errorCode, operator);
    }

    // ------------------------------------------------------------------ internals

    function _fulfil(Request calldata req, uint256 pending, bytes calldata output, uint32 errorCode)
        private
        returns (bool ok)
    {
        uint256 len = output.length;
        if (len > MAX_OUTPUT_BYTES) revert OutputTooLarge(len, MAX_OUTPUT_BYTES);
        uint256 requestId = req.requestId;
        bytes32 outputHash;
        bytes32 result;
        // outputHash = keccak256(output); result = keccak256(abi.encode(pending, outputHash,
        // errorCode, operator)), both hashed in scratch memory past the free pointer.
        assembly ("memory-safe") {
            let p := mload(0x40)
            calldatacopy(p, output.offset, len)
            outputHash := keccak256(p, len)
            mstore(p, pending)
            mstore(add(p, 0x20), outputHash)
            mstore(add(p, 0x40), errorCode)
            mstore(add(p, 0x60), caller())
            result := keccak256(p, 0x80)
        }
        // Effects: mark fulfilled before the callback (the caller credited the payment).
        uint256 done = (STATE_FULFILLED << STATE_SHIFT) | (block.timestamp << TIME_SHIFT) | (uint256(result) & LOW_200);
        _slots[requestId] = done;

        address target = req.callback;
        if (target != address(0)) {
            uint256 gasLimit = req.callbackGasLimit;
            bytes4 selector = req.selector;
            bool enough;
            assembly ("memory-safe") {
                // calldata: selector(requestId, output, errorCode), built before the gas check
                // so that nothing but EXTCODESIZE and CALL runs between the check and the call
                let p := mload(0x40)
                mstore(p, selector)
                mstore(add(p, 0x04), requestId)
                mstore(add(p, 0x24), 0x60)
                mstore(add(p, 0x44), errorCode)
                mstore(add(p, 0x64), len)
                calldatacopy(add(p, 0x84), output.offset, len)
                mstore(add(add(p, 0x84), len), 0)
                let size := add(0x84, and(add(len, 31), not(31)))
                let g := gas()
                if gt(g, GAS_FOR_CALL_EXACT_CHECK) {
                    g := sub(g, GAS_FOR_CALL_EXACT_CHECK)
                    enough := gt(sub(g, div(g, 64)), gasLimit)
                }
                // no returndata is copied (out size 0): a returndata bomb costs us nothing
                if and(enough, gt(extcodesize(target), 0)) { ok := call(gasLimit, target, 0, p, size, 0, 0) }
            }
            if (!enough) revert InsufficientGasForCallback(requestId);
            if (ok) _slots[requestId] = done | CALLBACK_OK_BIT;
        }
        emit Fulfilled(requestId, msg.sender, errorCode, ok, outputHash);
    }

    function _operatorModel(uint256 modelId) private view returns (Model storage m) {
        m = _models[modelId];
        if (m.operator != msg.sender || msg.sender == address(0)) revert NotModelOperator(modelId, msg.sender);
    }

    function _send(address payable to, uint256 amount) private {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed(to, amount);
    }

    function _revertMismatch(Request calldata req, uint256 slot) private view {
        if (slot >> STATE_SHIFT != STATE_PENDING) _revertNotPending(req.requestId, slot);
        if (_models[req.modelId].operator != msg.sender) revert NotModelOperator(req.modelId, msg.sender);
        revert RequestMismatch(req.requestId);
    }

    function _revertNotPending(uint256 requestId, uint256 slot) private pure {
        uint256 state = slot >> STATE_SHIFT;
        if (state == STATE_FULFILLED) revert AlreadyFulfilled(requestId);
        if (state == STATE_CANCELLED) revert RequestIsCancelled(requestId);
        revert UnknownRequest(requestId);
    }

    function _skipReason(uint256 slot) private pure returns (SkipReason) {
        uint256 state = slot >> STATE_SHIFT;
        if (state == STATE_FULFILLED) return SkipReason.AlreadyFulfilled;
        if (state == STATE_CANCELLED) return SkipReason.Cancelled;
        if (state == STATE_PENDING) return SkipReason.Mismatch;
        return SkipReason.Unknown;
    }

    function _pendingSlot(bytes32 h) private pure returns (uint256) {
        return (STATE_PENDING << STATE_SHIFT) | (uint256(h) & LOW_248);
    }

    /// @dev keccak256(abi.encode(req, operator)): the ten fields as 32-byte words. Hashes the
    /// calldata words as they are: a non-canonical word (dirty high bits) gives a different
    /// hash than the canonical encoding stored by {request}, so it can only fail to match.
    function _requestHashCd(Request calldata r, address operator) private pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            calldatacopy(p, r, 0x120)
            mstore(add(p, 0x120), operator)
            h := keccak256(p, 0x140)
        }
    }

    function _resultHash(uint256 pending, bytes32 outputHash, uint32 errorCode, address operator)
        private
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(pending, outputHash, errorCode, operator));
    }
}
